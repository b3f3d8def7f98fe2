import type { Hono } from "hono";
import * as assert from "uvu/assert";
import { deviceValidator, type DeviceSchemaName } from "../../engine/device/schemas.js";
import type { AppEnv } from "../../engine/web/http/env.js";
import { generateTotp, totpStep } from "../../engine/mfa/totp.js";
import type { Clock } from "../../engine/clock.js";
import { suite, type Test } from "uvu";
import { DeviceChallenges } from "../../engine/device/device-challenges.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { loudHook } from "../helpers/loud-hook.js";

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer; each test asserts its shape
  json: any;
}

/** Calls the device API in-process the way a mobile app does: JSON in, JSON out, no cookies. */
export async function api(
  app: Hono<AppEnv>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await app.request(path, init);
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `${path} answered ${text.slice(0, 80)}`);
    json = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, json };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts a body against the device API's own schema: what the server sends is what it documents. */
export function assertSchema(name: DeviceSchemaName, value: unknown): void {
  const v = deviceValidator(name);
  assert.ok(v(value), `${name}: ${JSON.stringify(v.errors)} in ${JSON.stringify(value)}`);
}

/** Asserts an error answer: status, code and the documented shape. */
export function assertError(r: ApiResponse, status: number, code: string): void {
  assert.is(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.json)}`);
  assertSchema("error", r.json);
  assert.is(r.json.error.code, code);
}

/** The code an authenticator app with this secret shows now (offset in steps). */
export function codeFor(secret: Uint8Array, clock: Clock, offsetSteps = 0, periodInSeconds = 30, digits: 6 | 8 = 6) {
  const params = { secret, algorithm: "SHA1" as const, digits, periodInSeconds };
  return generateTotp(params, totpStep(clock.now(), periodInSeconds) + offsetSteps);
}

/** The password of the device users the factor suites create. */
export const DEVICE_PASSWORD = "correct horse battery";
/** The administrator that switches MFA on in the factor suites. */
export const TEST_ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };

/** What a device factor suite's tests share: one environment, its Public Site, its challenges. */
export interface DeviceCtx {
  env: TestEnv;
  siteId: string;
  challenges: DeviceChallenges;
}

/**
 * A suite over one test environment whose clock moves two hours on before each test: past any
 * lock the test before left, and in a fresh TOTP step. Challenges are issued directly (no Argon2
 * per test): the password step is device-login's business.
 */
export function deviceFactorSuite(title: string): Test<DeviceCtx> {
  const t = suite<DeviceCtx>(title);
  t.before(
    loudHook(async (ctx) => {
      ctx.env = await startTestEnv();
      ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
      ctx.challenges = new DeviceChallenges(ctx.env.db, ctx.env.clock);
    }),
  );
  t.after(async (ctx) => ctx.env?.close());
  t.before.each((ctx) => {
    ctx.env.clock.advanceSeconds(7200);
  });
  return t;
}

/** A sign-in challenge (the second step's) for `userId`, as the password step would issue it. */
export const signInChallenge = async (ctx: DeviceCtx, userId: string) =>
  (await ctx.challenges.issue(userId, "mfa", null)).challenge;

/** POST /api/device/mfa with `body`. */
export const postDeviceMfa = (env: TestEnv, body: Record<string, unknown>) =>
  api(env.app, "POST", "/api/device/mfa", body);

/** What the device-apps suites keep: the environment and a bearer token per username. */
export interface DeviceAppsCtx {
  env: TestEnv;
  tokens: Record<string, string>;
}

/** A device API call as `who` (a username of `ctx.tokens`), with their bearer token. */
export const callAs = (
  ctx: DeviceAppsCtx,
  who: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => api(ctx.env.app, method, path, body, { ...bearer(ctx.tokens[who]!), ...headers });

/** Before each test of a records suite: no records, and the clock a second on (each test's writes are later). */
export async function freshRecords(ctx: DeviceAppsCtx): Promise<void> {
  await ctx.env.db.query("DELETE FROM records");
  ctx.env.clock.advanceSeconds(1);
}
