// @storage
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import {
  buildTwoSites,
  csrfToken,
  OTHER_MARK,
  PRINCIPALS,
  PASSWORD,
  PUBLIC_MARK,
  siteDigest,
  type Principal,
  type TwoSites,
} from "./two-sites.js";
import { loudHook } from "../helpers/loud-hook.js";
import { csrfTokenFor } from "../../engine/web/http/csrf.js";

/*
 * Every route of the router × every principal → the expected answer.
 *
 * The routes are read from the router itself (Hono's `app.routes`: method and
 * path, regex constraints dropped), so a route added without a row here fails
 * the first test. Middleware registered with `use` shows up as method ALL: its
 * row sends a method or path no handler takes, which shows the guard alone.
 *
 * Principals: anonymous; half-signed-in (password done, code pending: MFA is
 * activated); a user, a designer and an administrator of the Public Site; an
 * administrator of another site. Paths point at objects of the Public Site, so
 * the other site's administrator — the most privileged outsider — is refused
 * exactly where the Public Site's administrator succeeds. Every request carries
 * a valid CSRF token, so a refusal shows authorization, not CSRF.
 *
 * Besides the status, each answer is checked for the marks of sites the
 * principal may not see, and each request for writes to those sites (a digest
 * of their rows before and after; of the principal's own site too when the
 * request was refused).
 */

/** A status, or a redirect: "303 /login" (the Location's path; a trailing * matches any rest). */
type Expect = number | `${number} /${string}`;
const LOGIN: Expect = "303 /login";
/** Where a half-signed-in session is sent from any other page: back to its pending step (the code). */
const CODE: Expect = "303 /login/mfa";
const HOME: Expect = "303 /";
/** Back to one's own account page after a change there. */
const ACCOUNT: Expect = "303 /account";

type Body = { form: Record<string, string> } | { json: unknown } | { multipart: Record<string, string | File> };
type BodyFor = (p: Principal, fx: TwoSites, env: TestEnv) => Body | Promise<Body>;

const CHALLENGE = "A".repeat(43);
/** The stored version a form would carry ("1" once the object is gone: the request still goes out). */
const versionOf = async (env: TestEnv, table: "records" | "users", id: string) =>
  String((await env.db.query<{ v: number }>(`SELECT version AS v FROM ${table} WHERE id = $1`, [id])).rows[0]?.v ?? 1);
const recordVersion = (env: TestEnv, id: string) => versionOf(env, "records", id);
const userVersion = (env: TestEnv, id: string) => versionOf(env, "users", id);
const ledgerVersion = async (env: TestEnv, fx: TwoSites) =>
  String((await env.services.apps.currentVersion(fx.publicSiteId, fx.ids.ledger!)) ?? 1);
const slug = (p: Principal) => p.toLowerCase();
const inspection = { equipment: `Compressor ${PUBLIC_MARK}`, serialNumber: "SN-1", inspectedOn: "2026-01-02" };
const account = (username: string, mark = "") => ({
  username,
  displayName: `${username} ${mark}`.trim(),
  email: `${username}@example.org`,
  password: "a long enough password",
  role: "user",
  webAccess: "true",
});
const ledgerDefinition = (title: string) =>
  JSON.stringify({
    id: `${PUBLIC_MARK}-ledger`,
    title,
    record: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: { name: { type: "string", title: "Name", minLength: 1, maxLength: 200 } },
    },
    list: { columns: ["name"], searchable: ["name"] },
  });

/**
 * What each request sends. Allowed writes are real ones (a valid record, the
 * current version, confirm=yes), so an outsider's refusal is not a validation
 * error in disguise.
 */
const BODIES: Record<string, BodyFor> = {
  "POST /api/device/login": () => ({ json: {} }),
  "POST /api/device/mfa": () => ({ json: { challenge: CHALLENGE, code: "123456" } }),
  "POST /api/device/mfa/setup": () => ({ json: { challenge: CHALLENGE, method: "app" } }),
  "POST /api/device/mfa/passkey/options": () => ({ json: { challenge: CHALLENGE } }),
  "POST /api/device/apps/:appId/records": () => ({ json: { data: { name: "Device entry" } } }),
  "PATCH /api/device/apps/:appId/records/:recordId": async (_p, fx, env) => ({
    json: { version: Number(await recordVersion(env, fx.ids.deviceRecord!)), data: { location: "Yard" } },
  }),
  "POST /login": () => ({ form: { username: "", password: "" } }),
  "POST /setup/:token": () => ({ form: { username: "intruder", password: "a long enough password" } }),
  "POST /login/mfa": () => ({ form: { code: "abc" } }),
  "POST /login/recovery": () => ({ form: { recoveryCode: "abc" } }),
  "POST /account/recovery-codes": () => ({ form: { currentPassword: "" } }),
  "POST /configure/users/:recordId/unlock": () => ({ form: {} }),
  "POST /configure/users/:recordId/access-pass": () => ({ form: { validHours: "8", oneTime: "true" } }),
  "POST /mfa/setup/app": () => ({ form: { code: "123456" } }),
  "POST /mfa/setup/hardware": () => ({ form: { serialNumber: "PUBMARK-1", code: "123456" } }),
  "POST /mfa/setup/passkey": () => ({ form: { name: "Laptop", response: "{}" } }),
  "POST /login/mfa/passkey": () => ({ form: { response: "not json" } }),
  "POST /login/passkey": () => ({ form: { response: "not json" } }),
  "POST /account/passkeys/:id/rename": () => ({ form: { name: "Renamed" } }),
  // With the right password, so that the answer is about the route's reach, not a missing field.
  "POST /account/passkeys/:id/remove": () => ({ form: { currentPassword: PASSWORD } }),
  "POST /account/factors/totp/remove": () => ({ form: { currentPassword: PASSWORD } }),
  "POST /configure/site": () => ({ form: { site: "other" } }),
  "POST /configure/sites": () => ({ form: { slug: "third", name: "Third Site" } }),
  "POST /configure/sites/time-zone": () => ({ form: { timeZone: "Europe/Berlin" } }),
  "POST /apps/:appId/new": () => ({ form: { name: "New entry" } }),
  "POST /apps/:appId/new/check": () => ({ form: { _field: "name", name: "" } }),
  "POST /apps/:appId/:recordId": async (_p, fx, env) => ({
    form: { ...inspection, result: "pass-with-notes", _version: await recordVersion(env, fx.ids.record!) },
  }),
  "POST /apps/:appId/:recordId/check": () => ({ form: { ...inspection, _field: "result", result: "fail" } }),
  "POST /apps/:appId/:recordId/delete": async (_p, fx, env) => ({
    form: { confirm: "yes", _version: await recordVersion(env, fx.ids.recordToDelete!) },
  }),
  "POST /configure/users/new": (p) => ({ form: account(`new-${slug(p)}`) }),
  "POST /configure/users/new/check": (p) => ({ form: { ...account(`new-${slug(p)}`), _field: "username" } }),
  "POST /configure/users/:recordId": async (_p, fx, env) => ({
    form: { ...account("pat", PUBLIC_MARK), password: "", _version: await userVersion(env, fx.ids.pat!) },
  }),
  "POST /configure/users/:recordId/check": () => ({ form: { ...account("pat", PUBLIC_MARK), _field: "email" } }),
  "POST /configure/users/:recordId/delete": async (_p, fx, env) => ({
    form: { confirm: "yes", _version: await userVersion(env, fx.ids.userToDelete!) },
  }),
  "POST /configure/apps/:appId/check": () => ({ form: { definition: ledgerDefinition("Ledger, checked") } }),
  "POST /configure/apps/:appId": async (p, fx, env) => ({
    form: { definition: ledgerDefinition(`Ledger ${PUBLIC_MARK} by ${p}`), _version: await ledgerVersion(env, fx) },
  }),
  "POST /configure/apps/:appId/restore": async (_p, fx, env) => ({
    form: { version: "1", _version: await ledgerVersion(env, fx) },
  }),
  "POST /configure/apps/new": (p) => ({ form: { title: `Made by ${p}`, id: "" } }),
  "POST /configure/apps/:appId/fields/new": (p) => ({ form: { type: "text", title: `Note by ${p}` } }),
  "POST /configure/apps/:appId/fields/:name": () => ({ form: { title: "Name", help: "Who it is" } }),
  "POST /configure/apps/:appId/fields/:name/move": () => ({ form: { direction: "down" } }),
  "POST /configure/apps/:appId/sections/:section": () => ({ form: { title: "Equipment" } }),
  "POST /configure/apps/:appId/sections/:section/delete": () => ({ form: {} }),
  "POST /configure/apps/:appId/fields/:name/delete": () => ({ form: {} }),
  "POST /configure/apps/:appId/list": () => ({ form: { columns: "name", searchable: "name", sort: "name" } }),
  "POST /configure/apps/:appId/settings": (p) => ({
    form: { title: `Ledger ${PUBLIC_MARK} by ${p}`, description: "" },
  }),
  "POST /configure/apps/:appId/publish": () => ({ form: {} }),
  "POST /configure/apps/:appId/discard": () => ({ form: {} }),
  "POST /configure/apps/:appId/duplicate": (p) => ({ form: { title: `Copy by ${p}`, id: "" } }),
  "POST /configure/apps/:appId/delete": () => ({ form: { confirm: "yes" } }),
  "POST /configure/mfa-hardware/:id/unassign": () => ({ form: { confirm: "mfa-reset" } }),
  // Without the confirmation field Delete only asks (a 200 page); the row checks the real delete.
  "POST /configure/mfa-hardware/:id/delete": () => ({ form: { confirm: "delete-token" } }),
  "POST /configure/mfa-hardware/:id/release": () => ({ form: { confirm: "release-reservation" } }),
  // Every site (only the Public Site's administrators may), matching nobody: a real Confirm that changes no user.
  "POST /configure/mfa/rollout": () => ({
    form: { q: "no-such-person-xyz", scope: "all", enforcementDelayDays: "14", expectToEnable: "0", expectToMove: "0" },
  }),
  "POST /configure/mfa/policy": () => ({ form: { defaultEnforcementDelayDays: "14" } }),
  // Without `expect` only the preview (a later deadline than the rollout's 20 days).
  "POST /configure/mfa/rollouts/:id/extend": () => ({ form: { days: "30" } }),
  "POST /configure/notifications": () => ({ form: { reminderDays: "7, 3, 1" } }),
  "POST /configure/notifications/test": () => ({ form: { address: "test@example.org" } }),
  "POST /configure/mfa-hardware/register": () => ({
    form: {
      name: "New token",
      serialNumber: "PUBMARK-R1",
      timeInterval: "30",
      secretKey: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
  }),
  "POST /configure/mfa-hardware/import": () => ({
    multipart: {
      file: new File(
        [
          "upn,serial number,secret key,time interval,manufacturer,model\n,PUBMARK-I1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token Works,T1\n",
        ],
        "tokens.csv",
        { type: "text/csv" },
      ),
    },
  }),
};

/* prettier-ignore */
const MATRIX: Array<[route: string, request: string, ...expected: Expect[]]> = [
  //                                                                                                         anonymous half   user  designer otherAdmin publicAdmin
  ["ALL /*",                                  "GET /no-such-page",                                              404,  404,   404,  404,     404,       404],
  ["GET /assets/:file",                       "GET /assets/htmx.min.js",                                        200,  200,   200,  200,     200,       200],
  ["GET /public/:file",                       "GET /public/app.css",                                            200,  200,   200,  200,     200,       200],
  ["GET /healthz",                            "GET /healthz",                                                   200,  200,   200,  200,     200,       200],
  ["GET /health/live",                        "GET /health/live",                                               200,  200,   200,  200,     200,       200],
  ["GET /health/ready",                       "GET /health/ready",                                              200,  200,   200,  200,     200,       200],
  // Metrics need METRICS_TOKEN, which this server has not: 404 for everyone, cookies count for nothing.
  ["GET /metrics",                            "GET /metrics",                                                   404,  404,   404,  404,     404,       404],
  ["GET /",                                   "GET /",                                                          LOGIN, CODE, 200, 200,     200,       200],
  // Device API: bearer tokens only (every signed-in principal holds one of its own); cookies count for nothing.
  ["ALL /api/device/*",                       "GET /api/device/no-such-endpoint",                               404,  404,   404,  404,     404,       404],
  ["POST /api/device/login",                  "POST /api/device/login",                                         422,  422,   422,  422,     422,       422],
  ["POST /api/device/mfa",                    "POST /api/device/mfa",                                           401,  401,   401,  401,     401,       401],
  ["POST /api/device/mfa/setup",              "POST /api/device/mfa/setup",                                     401,  401,   401,  401,     401,       401],
  ["POST /api/device/mfa/passkey/options",    "POST /api/device/mfa/passkey/options",                           401,  401,   401,  401,     401,       401],
  ["GET /api/device/me",                      "GET /api/device/me",                                             401,  401,   200,  200,     200,       200],
  ["POST /api/device/logout",                 "POST /api/device/logout",                                        401,  401,   204,  204,     204,       204],
  ["GET /api/openapi.json",                   "GET /api/openapi.json",                                          200,  200,   200,  200,     200,       200],
  // Apps and records over the device API: the web's rules (administrators change records); another site's app or record is a 404.
  ["GET /api/device/apps",                    "GET /api/device/apps",                                           401,  401,   200,  200,     200,       200],
  ["GET /api/device/apps/:appId",             "GET /api/device/apps/{ledger}",                                  401,  401,   200,  200,     404,       200],
  ["GET /api/device/apps/:appId/openapi.json", "GET /api/device/apps/{ledger}/openapi.json",                    401,  401,   200,  200,     404,       200],
  ["GET /api/device/apps/:appId/records",     "GET /api/device/apps/equipment-inspections/records",             401,  401,   200,  200,     200,       200],
  ["POST /api/device/apps/:appId/records",    "POST /api/device/apps/{ledger}/records",                         401,  401,   403,  403,     404,       201],
  ["GET /api/device/apps/:appId/records/:recordId", "GET /api/device/apps/equipment-inspections/records/{deviceRecord}", 401, 401, 200, 200,  404,       200],
  ["PATCH /api/device/apps/:appId/records/:recordId", "PATCH /api/device/apps/equipment-inspections/records/{deviceRecord}", 401, 401, 403, 403, 404,     200],
  ["DELETE /api/device/apps/:appId/records/:recordId", "DELETE /api/device/apps/equipment-inspections/records/{deviceRecordToDelete}", 401, 401, 403, 403, 404, 204],
  // Sign-in and MFA steps.
  ["GET /login",                              "GET /login",                                                     200,  200,   HOME, HOME,    HOME,      HOME],
  // A form kept when the session ended (issue 25): only signed in; with nothing kept, the start page.
  ["GET /resume",                             "GET /resume",                                                    LOGIN, CODE, HOME, HOME,    HOME,      HOME],
  ["POST /login",                             "POST /login",                                                    422,  422,   422,  422,     422,       422],
  ["POST /logout",                            "POST /logout",                                                   LOGIN, LOGIN, LOGIN, LOGIN, LOGIN,     LOGIN],
  ["GET /setup/:token",                       "GET /setup/{setupToken}",                                        404,  404,   404,  404,     404,       404],
  ["POST /setup/:token",                      "POST /setup/{setupToken}",                                       404,  404,   404,  404,     404,       404],
  ["GET /login/mfa",                          "GET /login/mfa",                                                 LOGIN, 200,  HOME, HOME,    HOME,      HOME],
  ["POST /login/mfa",                         "POST /login/mfa",                                                LOGIN, 422,  HOME, HOME,    HOME,      HOME],
  ["GET /login/recovery",                     "GET /login/recovery",                                            LOGIN, 200,  HOME, HOME,    HOME,      HOME],
  ["POST /login/recovery",                    "POST /login/recovery",                                           LOGIN, 422,  HOME, HOME,    HOME,      HOME],
  ["GET /mfa/setup",                          "GET /mfa/setup",                                                 LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  ["POST /mfa/setup/later",                   "POST /mfa/setup/later",                                          LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  ["GET /mfa/setup/app",                      "GET /mfa/setup/app",                                             LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  ["POST /mfa/setup/app",                     "POST /mfa/setup/app",                                            LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  ["GET /mfa/setup/hardware",                 "GET /mfa/setup/hardware",                                        LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  ["POST /mfa/setup/hardware",                "POST /mfa/setup/hardware",                                       LOGIN, CODE, HOME, HOME,   HOME,      HOME],
  // Passkeys: setup while setting up MFA or, signed in, to add one (MFA off here: back to the account page).
  ["GET /mfa/setup/passkey",                  "GET /mfa/setup/passkey",                                         LOGIN, CODE, "303 /account", "303 /account", "303 /account", "303 /account"],
  ["POST /mfa/setup/passkey",                 "POST /mfa/setup/passkey",                                        LOGIN, CODE, "303 /account", "303 /account", "303 /account", "303 /account"],
  ["POST /login/passkey",                     "POST /login/passkey",                                            422,  422,   422,  422,     422,       422],
  ["POST /login/mfa/passkey",                 "POST /login/mfa/passkey",                                        LOGIN, 422,  HOME, HOME,    HOME,      HOME],
  // Every signed-in user's own account page.
  ["ALL /account",                            "PUT /account",                                                   LOGIN, CODE, 404,  404,     404,       404],
  ["GET /account",                            "GET /account",                                                   LOGIN, CODE, 200,  200,     200,       200],
  ["POST /account",                           "POST /account",                                                  LOGIN, CODE, 422,  422,     422,       422],
  // One's own factors, browsers and devices: ids name only the user's own (another's is not found).
  ["ALL /account/*",                          "PUT /account/no-such-page",                                      LOGIN, CODE, 404,  404,     404,       404],
  ["POST /account/passkeys/:id/rename",       "POST /account/passkeys/00000000-0000-4000-8000-000000000000/rename", LOGIN, CODE, 404, 404,  404,       404],
  ["POST /account/passkeys/:id/remove",       "POST /account/passkeys/00000000-0000-4000-8000-000000000000/remove", LOGIN, CODE, 404, 404,  404,       404],
  ["POST /account/factors/totp/remove",       "POST /account/factors/totp/remove",                              LOGIN, CODE, 404,  404,     404,       404],
  ["POST /account/sessions/:id/end",          "POST /account/sessions/0123456789abcdef0123456789abcdef/end",    LOGIN, CODE, 404,  404,     404,       404],
  ["POST /account/sign-out-others",           "POST /account/sign-out-others",                                  LOGIN, CODE, ACCOUNT, ACCOUNT, ACCOUNT, ACCOUNT],
  ["POST /account/remembered/:id/forget",     "POST /account/remembered/0123456789abcdef0123456789abcdef/forget", LOGIN, CODE, 404,  404,     404,       404],
  ["POST /account/devices/:id/end",           "POST /account/devices/0123456789abcdef0123456789abcdef/end",     LOGIN, CODE, 404,  404,     404,       404],
  ["ALL /account/recovery-codes",             "PUT /account/recovery-codes",                                    LOGIN, CODE, 404,  404,     404,       404],
  ["POST /account/recovery-codes",            "POST /account/recovery-codes",                                   LOGIN, CODE, 422,  422,     422,       422],
  // Configure: sites and audit.
  ["ALL /configure",                          "PUT /configure",                                                 LOGIN, CODE, 403,  404,     404,       404],
  ["ALL /configure/*",                        "GET /configure/no-such-page",                                    LOGIN, CODE, 403,  404,     404,       404],
  ["GET /configure",                          "GET /configure",                                                 LOGIN, CODE, 403,  200,     200,       200],
  ["POST /configure/site",                    "POST /configure/site",                                           LOGIN, CODE, 403,  403,     403,       "303 /configure"],
  ["GET /configure/sites",                    "GET /configure/sites",                                           LOGIN, CODE, 403,  403,     200,       200],
  ["POST /configure/sites",                   "POST /configure/sites",                                          LOGIN, CODE, 403,  403,     403,       "303 /configure/sites"],
  ["POST /configure/sites/time-zone",         "POST /configure/sites/time-zone",                                LOGIN, CODE, 403,  403,     "303 /configure/sites", "303 /configure/sites"],
  ["ALL /configure/audit",                    "PUT /configure/audit",                                           LOGIN, CODE, 403,  403,     404,       404],
  ["GET /configure/audit",                    "GET /configure/audit",                                           LOGIN, CODE, 403,  403,     200,       200],
  ["ALL /configure/audit/*",                  "PUT /configure/audit/export.csv",                                LOGIN, CODE, 403,  403,     404,       404],
  ["GET /configure/audit/export.csv",         "GET /configure/audit/export.csv",                                LOGIN, CODE, 403,  403,     200,       200],
  // Configure > MFA: administrators only; the rollout to every site only for the Public Site's.
  ["ALL /configure/mfa",                      "PUT /configure/mfa",                                             LOGIN, CODE, 403,  403,     404,       404],
  ["ALL /configure/mfa/*",                    "GET /configure/mfa/no-such-page",                                LOGIN, CODE, 403,  403,     404,       404],
  ["GET /configure/mfa",                      "GET /configure/mfa",                                             LOGIN, CODE, 403,  403,     200,       200],
  ["GET /configure/mfa/rollout",              "GET /configure/mfa/rollout",                                     LOGIN, CODE, 403,  403,     200,       200],
  ["POST /configure/mfa/rollout",             "POST /configure/mfa/rollout",                                    LOGIN, CODE, 403,  403,     422,       "303 /configure/mfa"],
  ["GET /configure/mfa/policy",               "GET /configure/mfa/policy",                                      LOGIN, CODE, 403,  403,     200,       200],
  ["POST /configure/mfa/policy",              "POST /configure/mfa/policy",                                     LOGIN, CODE, 403,  403,     "303 /configure/mfa/policy", "303 /configure/mfa/policy"],
  // Notifications: each site's own reminder days, outbox and test mail; reminders only to the site's own users.
  ["ALL /configure/notifications",            "PUT /configure/notifications",                                   LOGIN, CODE, 403,  403,     404,       404],
  ["ALL /configure/notifications/*",          "GET /configure/notifications/no-such-page",                      LOGIN, CODE, 403,  403,     404,       404],
  ["GET /configure/notifications",            "GET /configure/notifications?state=failed",                      LOGIN, CODE, 403,  403,     200,       200],
  ["POST /configure/notifications",           "POST /configure/notifications",                                  LOGIN, CODE, 403,  403,     "303 /configure/notifications", "303 /configure/notifications"],
  ["POST /configure/notifications/test",      "POST /configure/notifications/test",                             LOGIN, CODE, 403,  403,     "303 /configure/notifications", "303 /configure/notifications"],
  // Backups: administrators of the Public Site only (every site's data is in a backup); on PostgreSQL Back up now is refused (pg_dump).
  ["ALL /configure/backups",                  "PUT /configure/backups",                                         LOGIN, CODE, 403,  403,     403,       404],
  ["ALL /configure/backups/*",                "GET /configure/backups/no-such-backup.fgbackup",                 LOGIN, CODE, 403,  403,     403,       404],
  ["GET /configure/backups",                  "GET /configure/backups",                                         LOGIN, CODE, 403,  403,     403,       200],
  ["POST /configure/backups",                 "POST /configure/backups",                                        LOGIN, CODE, 403,  403,     403,       testBackend === "pg" ? 409 : "303 /configure/backups"],
  ["GET /configure/backups/:name",            "GET /configure/backups/{backup}",                                LOGIN, CODE, 403,  403,     403,       testBackend === "pg" ? 404 : 200],
  ["ALL /configure/mfa/remind",               "GET /configure/mfa/remind",                                      LOGIN, CODE, 403,  403,     404,       404],
  ["POST /configure/mfa/remind",              "POST /configure/mfa/remind",                                     LOGIN, CODE, 403,  403,     "303 /configure/mfa", "303 /configure/mfa"],
  // One rollout's own page: the other site's administrator does not find the Public Site's rollout.
  ["ALL /configure/mfa/rollouts/*",           "PUT /configure/mfa/rollouts/{rollout}",                          LOGIN, CODE, 403,  403,     404,       404],
  ["GET /configure/mfa/rollouts/:id",         "GET /configure/mfa/rollouts/{rollout}",                          LOGIN, CODE, 403,  403,     404,       200],
  ["POST /configure/mfa/rollouts/:id/remind", "POST /configure/mfa/rollouts/{rollout}/remind",                  LOGIN, CODE, 403,  403,     404,       "303 /configure/mfa/rollouts/*"],
  ["POST /configure/mfa/rollouts/:id/extend", "POST /configure/mfa/rollouts/{rollout}/extend",                  LOGIN, CODE, 403,  403,     404,       200],
  ["ALL /configure/users/:id/remind",         "GET /configure/users/{remindee}/remind",                         LOGIN, CODE, 403,  403,     404,       404],
  ["POST /configure/users/:id/remind",        "POST /configure/users/{remindee}/remind",                        LOGIN, CODE, 403,  403,     404,       "303 /configure/users/*"],
  // Apps and records: the list of the app both sites have, a record of the Public Site, an app only it has.
  ["GET /apps",                               "GET /apps",                                                      LOGIN, CODE, 200,  200,     200,       200],
  ["ALL /apps/:appId",                        "PUT /apps/equipment-inspections",                                LOGIN, CODE, 404,  404,     404,       404],
  ["ALL /apps/:appId/*",                      "GET /apps/equipment-inspections/no-such-page",                   LOGIN, CODE, 404,  404,     404,       404],
  ["GET /apps/:appId",                        "GET /apps/equipment-inspections",                                LOGIN, CODE, 200,  200,     200,       200],
  ["GET /apps/:appId/export.csv",             "GET /apps/equipment-inspections/export.csv",                     LOGIN, CODE, 200,  200,     200,       200],
  ["GET /apps/:appId/new",                    "GET /apps/{ledger}/new",                                         LOGIN, CODE, 403,  403,     404,       200],
  ["POST /apps/:appId/new",                   "POST /apps/{ledger}/new",                                        LOGIN, CODE, 403,  403,     404,       "303 /apps/pubmark-ledger"],
  ["POST /apps/:appId/new/check",             "POST /apps/{ledger}/new/check",                                  LOGIN, CODE, 403,  403,     404,       200],
  ["GET /apps/:appId/:recordId",              "GET /apps/equipment-inspections/{record}",                       LOGIN, CODE, 200,  200,     404,       200],
  ["POST /apps/:appId/:recordId",             "POST /apps/equipment-inspections/{record}",                      LOGIN, CODE, 403,  403,     404,       "303 /apps/equipment-inspections"],
  ["POST /apps/:appId/:recordId/check",       "POST /apps/equipment-inspections/{record}/check",                LOGIN, CODE, 403,  403,     404,       200],
  ["POST /apps/:appId/:recordId/delete",      "POST /apps/equipment-inspections/{recordToDelete}/delete",       LOGIN, CODE, 403,  403,     404,       "303 /apps/equipment-inspections"],
  // User accounts: administrators only; another site's administrator manages its own site's users.
  ["ALL /configure/users",                    "PUT /configure/users",                                           LOGIN, CODE, 403,  404,     404,       404],
  ["ALL /configure/users/*",                  "GET /configure/users/no-such-page",                              LOGIN, CODE, 403,  404,     404,       404],
  ["GET /configure/users",                    "GET /configure/users",                                           LOGIN, CODE, 403,  403,     200,       200],
  ["GET /configure/users/export.csv",         "GET /configure/users/export.csv",                                LOGIN, CODE, 403,  403,     200,       200],
  ["GET /configure/users/new",                "GET /configure/users/new",                                       LOGIN, CODE, 403,  403,     200,       200],
  ["POST /configure/users/new",               "POST /configure/users/new",                                      LOGIN, CODE, 403,  403,     "303 /configure/users", "303 /configure/users"],
  ["POST /configure/users/new/check",         "POST /configure/users/new/check",                                LOGIN, CODE, 403,  403,     200,       200],
  ["GET /configure/users/:recordId",          "GET /configure/users/{pat}",                                     LOGIN, CODE, 403,  403,     404,       200],
  ["POST /configure/users/:recordId",         "POST /configure/users/{pat}",                                    LOGIN, CODE, 403,  403,     404,       "303 /configure/users"],
  // The live MFA reset warning of the dialog, for a user whose MFA is activated: nothing of them reaches another site.
  ["GET /configure/users/:recordId/mfa-reset-warning", "GET /configure/users/{half}/mfa-reset-warning",      LOGIN, CODE, 403,  403,     404,       200],
  // The helpdesk path of the dialog: Unlock and a temporary access pass, for the user's own site only.
  ["POST /configure/users/:recordId/unlock",  "POST /configure/users/{half}/unlock",                            LOGIN, CODE, 403,  403,     404,       "303 /configure/users/*"],
  ["POST /configure/users/:recordId/access-pass", "POST /configure/users/{half}/access-pass",                   LOGIN, CODE, 403,  403,     404,       200],
  ["POST /configure/users/:recordId/check",   "POST /configure/users/{pat}/check",                              LOGIN, CODE, 403,  403,     404,       200],
  ["POST /configure/users/:recordId/delete",  "POST /configure/users/{userToDelete}/delete",                    LOGIN, CODE, 403,  403,     404,       "303 /configure/users"],
  // Designer: every site edits its own definitions; the Public Site's own app is not found elsewhere.
  ["ALL /configure/apps",                     "PUT /configure/apps",                                            LOGIN, CODE, 403,  404,     404,       404],
  ["ALL /configure/apps/*",                   "GET /configure/apps/{ledger}/no-such-page",                      LOGIN, CODE, 403,  404,     404,       404],
  ["GET /configure/apps",                     "GET /configure/apps",                                            LOGIN, CODE, 403,  200,     200,       200],
  ["GET /configure/apps/:appId",              "GET /configure/apps/{ledger}",                                   LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/check",       "POST /configure/apps/{ledger}/check",                            LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId",             "POST /configure/apps/{ledger}",                                  LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  ["POST /configure/apps/:appId/restore",     "POST /configure/apps/{ledger}/restore",                          LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger/history", 404, "303 /configure/apps/pubmark-ledger/history"],
  // The visual designer: changes go to the app's draft; the rows run in this order, designer before administrator.
  ["GET /configure/apps/new",                 "GET /configure/apps/new",                                        LOGIN, CODE, 403,  200,     200,       200],
  ["POST /configure/apps/new",                "POST /configure/apps/new",                                       LOGIN, CODE, 403,  "303 /configure/apps/made-by-*", "303 /configure/apps/made-by-*", "303 /configure/apps/made-by-*"],
  ["GET /configure/apps/:appId/fields/new",   "GET /configure/apps/{ledger}/fields/new?type=choice",            LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/fields/new",  "POST /configure/apps/{ledger}/fields/new",                       LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  ["GET /configure/apps/:appId/fields/:name", "GET /configure/apps/{ledger}/fields/name",                       LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/fields/:name", "POST /configure/apps/{ledger}/fields/name",                     LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  ["POST /configure/apps/:appId/fields/:name/move", "POST /configure/apps/{ledger}/fields/name/move",           LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  // Sections of the app both sites have: renamed by each site's own designers; a section holding fields is never deleted (422).
  ["POST /configure/apps/:appId/sections/:section", "POST /configure/apps/equipment-inspections/sections/1",     LOGIN, CODE, 403,  "303 /configure/apps/equipment-inspections", "303 /configure/apps/equipment-inspections", "303 /configure/apps/equipment-inspections"],
  ["POST /configure/apps/:appId/sections/:section/delete", "POST /configure/apps/equipment-inspections/sections/1/delete", LOGIN, CODE, 403, 422, 422, 422],
  ["GET /configure/apps/:appId/list",         "GET /configure/apps/{ledger}/list",                              LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/list",        "POST /configure/apps/{ledger}/list",                             LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger/list", 404, "303 /configure/apps/pubmark-ledger/list"],
  ["GET /configure/apps/:appId/settings",     "GET /configure/apps/{ledger}/settings",                          LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/settings",    "POST /configure/apps/{ledger}/settings",                         LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger/settings", 404, "303 /configure/apps/pubmark-ledger/settings"],
  ["GET /configure/apps/:appId/history",      "GET /configure/apps/{ledger}/history?from=1&to=2",               LOGIN, CODE, 403,  200,     404,       200],
  // The designer deletes the field it added; the administrator then finds it gone from the draft.
  ["POST /configure/apps/:appId/fields/:name/delete", "POST /configure/apps/{ledger}/fields/noteByDesigner/delete", LOGIN, CODE, 403, "303 /configure/apps/pubmark-ledger", 404, 404],
  ["POST /configure/apps/:appId/publish",     "POST /configure/apps/{ledger}/publish",                          LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  ["POST /configure/apps/:appId/discard",     "POST /configure/apps/{ledger}/discard",                          LOGIN, CODE, 403,  "303 /configure/apps/pubmark-ledger", 404, "303 /configure/apps/pubmark-ledger"],
  ["GET /configure/apps/:appId/duplicate",    "GET /configure/apps/{ledger}/duplicate",                         LOGIN, CODE, 403,  200,     404,       200],
  ["POST /configure/apps/:appId/duplicate",   "POST /configure/apps/{ledger}/duplicate",                        LOGIN, CODE, 403,  "303 /configure/apps/copy-by-*", 404, "303 /configure/apps/copy-by-*"],
  // The ledger has a record by now (POST /apps/{ledger}/new above): an app with records is never deleted.
  ["POST /configure/apps/:appId/delete",      "POST /configure/apps/{ledger}/delete",                           LOGIN, CODE, 403,  409,     404,       409],
  // Hardware registry: administrators of the Public Site only.
  ["ALL /configure/mfa-hardware",             "PUT /configure/mfa-hardware",                                    LOGIN, CODE, 403,  403,     403,       404],
  ["ALL /configure/mfa-hardware/*",           "GET /configure/mfa-hardware/no-such-page",                       LOGIN, CODE, 403,  403,     403,       404],
  ["GET /configure/mfa-hardware",             "GET /configure/mfa-hardware",                                    LOGIN, CODE, 403,  403,     403,       200],
  ["POST /configure/mfa-hardware/:id/disable","POST /configure/mfa-hardware/{tokenAvailable}/disable",          LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["POST /configure/mfa-hardware/:id/enable", "POST /configure/mfa-hardware/{tokenDisabled}/enable",            LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["POST /configure/mfa-hardware/:id/delete", "POST /configure/mfa-hardware/{tokenToDelete}/delete",            LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["POST /configure/mfa-hardware/:id/release","POST /configure/mfa-hardware/{tokenReserved}/release",           LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["POST /configure/mfa-hardware/:id/unassign","POST /configure/mfa-hardware/{tokenAssigned}/unassign",         LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["GET /configure/mfa-hardware/register",    "GET /configure/mfa-hardware/register",                           LOGIN, CODE, 403,  403,     403,       200],
  ["POST /configure/mfa-hardware/register",   "POST /configure/mfa-hardware/register",                          LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["GET /configure/mfa-hardware/import",      "GET /configure/mfa-hardware/import",                             LOGIN, CODE, 403,  403,     403,       200],
  ["POST /configure/mfa-hardware/import",     "POST /configure/mfa-hardware/import",                            LOGIN, CODE, 403,  403,     403,       200],
  ["POST /configure/mfa-hardware/import/:uploadId", "POST /configure/mfa-hardware/import/{upload}",             LOGIN, CODE, 403,  403,     403,       "303 /configure/mfa-hardware"],
  ["POST /configure/mfa-hardware/import/:uploadId/cancel", "POST /configure/mfa-hardware/import/{upload}/cancel", LOGIN, CODE, 403, 403,     403,       "303 /configure/mfa-hardware/import"],
  ["GET /configure/mfa-hardware/find",        "GET /configure/mfa-hardware/find",                               LOGIN, CODE, 403,  403,     403,       200],
];

interface Ctx {
  env: TestEnv;
  fx: TwoSites;
}
const t = suite<Ctx>(`authorization matrix [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    // A DATA_DIR of its own: Back up now writes into DATA_DIR/backups.
    ctx.env = await startTestEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), "formgate-matrix-")) });
    ctx.fx = await buildTwoSites(ctx.env.services);
  }),
);
t.after(async (ctx) => {
  await ctx.env?.close();
  if (ctx.env) rmSync(ctx.env.services.config.DATA_DIR, { recursive: true, force: true });
});

/** "METHOD /path" of every route the router holds, regex constraints dropped, each once. */
function routerRoutes(env: TestEnv): string[] {
  const keys = env.app.routes.map((r) => `${r.method} ${r.path.replace(/(:\w+)\{.*?\}(?=\/|$)/g, "$1")}`);
  return [...new Set(keys)];
}

t("the matrix has exactly one row for every route of the router", ({ env }) => {
  const routes = routerRoutes(env);
  const rows = MATRIX.map(([route]) => route);
  const missing = routes.filter((r) => !rows.includes(r));
  const stale = rows.filter((r) => !routes.includes(r));
  const twice = rows.filter((r, i) => rows.indexOf(r) !== i);
  assert.equal(missing, [], `routes without a row in the matrix: ${missing.join(", ")}`);
  assert.equal(stale, [], `rows for routes the router does not have: ${stale.join(", ")}`);
  assert.equal(twice, [], `rows twice: ${twice.join(", ")}`);
  for (const [route, request, ...expected] of MATRIX) {
    assert.is(expected.length, PRINCIPALS.length, `${route}: one expectation per principal`);
    const [method] = route.split(" ");
    if (method !== "ALL") assert.is(request.split(" ")[0], method, `${route} is requested with its own method`);
    if (BODIES[route]) assert.ok(method === "POST" || method === "PATCH", `${route} has a body`);
  }
});

async function send(env: TestEnv, fx: TwoSites, p: Principal, route: string, request: string) {
  const [method, template] = request.split(" ") as [string, string];
  let path = template;
  for (const [, name] of template.matchAll(/\{(\w+)\}/g)) {
    const value =
      name === "upload"
        ? await fx.stageUpload()
        : name === "setupToken"
          ? "x".repeat(43)
          : name === "backup"
            ? ((await env.services.backups.list())[0]?.name ?? "made-by-none.fgbackup")
            : fx.ids[name!];
    assert.ok(value, `no fixture for {${name}}`);
    path = path.replace(`{${name}}`, value);
  }
  const creds = await fx.credentials(p);
  const cookie = csrfToken();
  const userId = creds.sessionToken
    ? ((await env.services.sessions.validate(creds.sessionToken))?.user.id ?? null)
    : null;
  const csrf = csrfTokenFor(env.services.csrfKey, cookie, userId);
  const headers = new Headers({ cookie: `fg_csrf=${cookie}`, origin: "http://localhost" });
  if (creds.sessionToken) headers.set("cookie", `fg_csrf=${cookie}; fg_session=${creds.sessionToken}`);
  if (creds.deviceToken) headers.set("authorization", `Bearer ${creds.deviceToken}`);
  const init: RequestInit = { method, headers };
  const body = await BODIES[route]?.(p, fx, env);
  if (body && "json" in body) {
    headers.set("content-type", "application/json");
    init.body = JSON.stringify(body.json);
  } else if (body && "multipart" in body) {
    const form = new FormData();
    form.set("_csrf", csrf);
    for (const [k, v] of Object.entries(body.multipart)) form.set(k, v);
    init.body = form;
  } else if (method !== "GET") {
    headers.set("content-type", "application/x-www-form-urlencoded");
    init.body = new URLSearchParams({ _csrf: csrf, ...(body && "form" in body ? body.form : {}) });
  }
  return env.app.request(path, init);
}

function describe(status: number, location: string | null): string {
  return location ? `${status} ${location.split("?")[0]}` : String(status);
}

function matches(expected: Expect, status: number, location: string | null): boolean {
  if (typeof expected === "number") return status === expected && (status < 300 || status >= 400 || !location);
  const [code, target] = expected.split(" ") as [string, string];
  if (Number(code) !== status || !location) return false;
  const path = location.split("?")[0]!;
  return target.endsWith("*") ? path.startsWith(target.slice(0, -1)) : path === target;
}

/** A refusal: any 4xx, or being sent to sign in. */
const refused = (e: Expect) => (typeof e === "number" ? e >= 400 : e === LOGIN);

t("every principal gets the expected answer on every route; no site's data reaches another", async (ctx) => {
  const { env, fx } = ctx;
  const sites = [
    { id: fx.publicSiteId, isPublic: true, mark: PUBLIC_MARK },
    { id: fx.otherSiteId, isPublic: false, mark: OTHER_MARK },
  ];
  const digests = () => Promise.all(sites.map((s) => siteDigest(env.db, s.id, s.isPublic)));
  const publicAtStart = (await digests())[0];
  const wrong: string[] = [];
  const started = performance.now();
  for (const [route, request, ...expected] of MATRIX) {
    for (const [i, p] of PRINCIPALS.entries()) {
      const want = expected[i]!;
      const before = await digests();
      const res = await send(env, fx, p, route, request);
      const text = await res.text();
      const location = res.headers.get("location");
      const cell = `${request} as ${p}`;
      if (!matches(want, res.status, location)) {
        wrong.push(`${cell}: expected ${want}, got ${describe(res.status, location)}`);
      }
      if (res.status >= 500) wrong.push(`${cell}: ${res.status} ${text.slice(0, 200)}`);
      const after = await digests();
      for (const [j, site] of sites.entries()) {
        const own = fx.siteOf[p] === site.id;
        if (!own) {
          // A sign-in redirect's `next` echoes the path the requester asked for (their own input, see
          // toSignIn in engine/web/http/guards.ts), not data of the site: it is left out of the check.
          const shown = location?.startsWith("/login?next=") ? "/login" : (location ?? "");
          const seen = `${text}\n${shown}`.toLowerCase();
          if (seen.includes(site.mark)) wrong.push(`${cell}: the answer shows data of ${site.mark}'s site`);
        }
        if ((!own || refused(want)) && before[j] !== after[j]) {
          wrong.push(`${cell}: changed data of ${site.isPublic ? "the Public Site" : "the other site"}`);
        }
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `authorization matrix [${testBackend}]: ${MATRIX.length} routes × ${PRINCIPALS.length} principals = ` +
      `${MATRIX.length * PRINCIPALS.length} requests in ${seconds} s`,
  );
  assert.equal(wrong, [], `\n${wrong.join("\n")}`);
  // The allowed writes happened, so the refusals above were not fixtures that were missing.
  assert.is.not((await digests())[0], publicAtStart);
  const s = env.services;
  assert.is(await s.hardware.registry.byId(fx.ids.tokenToDelete!), null);
  assert.is((await s.hardware.registry.byId(fx.ids.tokenReserved!))!.reservedForUserId, null);
  assert.is((await s.users.byId(fx.ids.userToDelete!)) ?? null, null);
  assert.is((await env.db.query("SELECT 1 FROM records WHERE id = $1", [fx.ids.recordToDelete])).rowCount, 0);
  assert.is((await env.db.query("SELECT 1 FROM records WHERE id = $1", [fx.ids.deviceRecordToDelete])).rowCount, 0);
});

t.run();
