// /api/device/apps/…: apps and their records for device users (bearer tokens, JSON). The rules are
// the web's (engine/device/device-apps.ts); this file reads the request and shapes the answer.
import type { Context, Hono, MiddlewareHandler } from "hono";
import { CursorError, decodeCursor, encodeCursor, type SortSpec } from "../../apps/record-store-contract.js";
import { ValidationError } from "../../errors.js";
import { deviceRecord, MAX_PAGE, type OpenedApp } from "../../device/device-apps.js";
import { deviceValidator } from "../../device/schemas.js";
import type { DeviceTokenInfo } from "../../device/device-tokens.js";
import type { DeviceRecordCreate, DeviceRecordUpdate } from "../../schema/types.js";
import type { Services } from "../../services.js";
import { UUID_PATTERN_ANY_CASE } from "../../util/uuid.js";
import { parseSort } from "../forms/list-query.js";
import type { AppEnv } from "../http/env.js";
import { queryParams } from "../http/query.js";
import { readJsonBody } from "./body.js";
import { appOpenApiDocument } from "./app-openapi.js";

type DeviceEnv = { Variables: AppEnv["Variables"] & { deviceToken: DeviceTokenInfo } };

/** The paths of the app routes (Hono patterns) and the methods each answers, for 405 versus 404. */
export const APP_ROUTES: Array<[RegExp, string]> = [
  [/^\/api\/device\/apps$/, "GET"],
  [/^\/api\/device\/apps\/[^/]+$/, "GET"],
  [/^\/api\/device\/apps\/[^/]+\/openapi\.json$/, "GET"],
  [/^\/api\/device\/apps\/[^/]+\/records$/, "GET, POST"],
  [new RegExp(`^/api/device/apps/[^/]+/records/${UUID_PATTERN_ANY_CASE}$`), "GET, PATCH, DELETE"],
];

/** Default page size of a list or a sync page. */
const DEFAULT_LIMIT = 50;
/** An Idempotency-Key: 1 to 200 visible ASCII characters (a UUID is typical). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const badQuery = (name: string, message: string) =>
  new ValidationError(`The query parameter ${name} ${message}.`, { [name]: message });

/** ?limit=: 1 to MAX_PAGE, DEFAULT_LIMIT when absent; anything else a 422 naming it. */
function readLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_LIMIT;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE) {
    throw badQuery("limit", `must be a whole number from 1 to ${MAX_PAGE}`);
  }
  return Number(raw);
}

/** The list query of a records request: q (≤ 100 characters), sort, after (a cursor of that sort), limit. */
function readListQuery(query: Record<string, string>, o: OpenedApp) {
  const sortable = o.store.sortable?.(o.app) ?? o.app.list.columns.map((c) => c.name);
  const q = query.q ?? "";
  if (q.length > 100) throw badQuery("q", "takes at most 100 characters");
  if (query.sort !== undefined && !sortable.includes(query.sort.replace(/^-/, ""))) {
    throw badQuery("sort", `must be one of ${sortable.join(", ")} (with a leading - for descending)`);
  }
  const sort: SortSpec = parseSort(query.sort, sortable, o.app.list.sort);
  const column = o.app.fields.find((f) => f.name === sort.field);
  let after;
  if (query.after && column) {
    try {
      after = decodeCursor(query.after, column);
    } catch (err) {
      if (!(err instanceof CursorError)) throw err;
      throw badQuery("after", `is not a cursor of this list sorted this way: ${err.message}`);
    }
  }
  return { q, sort, limit: readLimit(query.limit), ...(after ? { after } : {}) };
}

/** A whole number from 1 for ?version=, else a 422 naming it; null when absent. */
function readVersion(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw badQuery("version", "must be a whole number from 1");
  return Number(raw);
}

/** Adds the app and record routes to the device API's router, each behind `bearer`. */
export function deviceAppRoutes(app: Hono<DeviceEnv>, s: Services, bearer: MiddlewareHandler<DeviceEnv>): void {
  const validators = {
    create: deviceValidator<DeviceRecordCreate>("record-create-request"),
    update: deviceValidator<DeviceRecordUpdate>("record-update-request"),
  };
  const open = (c: Context<DeviceEnv>) => s.deviceApps.open(c.var.deviceToken, c.req.param("appId") ?? "");
  // UUIDs are case-insensitive; the stores hold them in lower case, as PostgreSQL prints them.
  const recordId = (c: Context<DeviceEnv>) => (c.req.param("recordId") ?? "").toLowerCase();
  const RECORD = `/api/device/apps/:appId/records/:recordId{${UUID_PATTERN_ANY_CASE}}`;

  app.get("/api/device/apps", bearer, async (c) => c.json(await s.deviceApps.list(c.var.deviceToken)));

  app.get("/api/device/apps/:appId", bearer, async (c) => c.json(s.deviceApps.definition(await open(c))));

  app.get("/api/device/apps/:appId/openapi.json", bearer, async (c) => c.json(appOpenApiDocument(await open(c))));

  app.get("/api/device/apps/:appId/records", bearer, async (c) => {
    const o = await open(c);
    const query = queryParams(c);
    if (query.changedSince !== undefined) {
      const mixed = ["q", "sort", "after"].find((k) => query[k] !== undefined);
      if (mixed) throw badQuery(mixed, "cannot be combined with changedSince");
      return c.json(await s.deviceApps.changes(o, query.changedSince, readLimit(query.limit)));
    }
    return c.json(await s.deviceApps.page(o, readListQuery(query, o), encodeCursor));
  });

  app.post("/api/device/apps/:appId/records", bearer, async (c) => {
    const o = await open(c);
    const key = c.req.header("idempotency-key") ?? null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new ValidationError("The Idempotency-Key header is not valid.", {
        "Idempotency-Key": "must be 1 to 200 visible ASCII characters",
      });
    }
    const body = await readJsonBody(c, validators.create, "pointer");
    const { record, replayed } = await s.deviceApps.create(o, body.data, key);
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(deviceRecord(record), replayed ? 200 : 201);
  });

  app.get(RECORD, bearer, async (c) => {
    const o = await open(c);
    return c.json(deviceRecord(await s.deviceApps.get(o, recordId(c))));
  });

  app.patch(RECORD, bearer, async (c) => {
    const o = await open(c);
    const body = await readJsonBody(c, validators.update, "pointer");
    return c.json(deviceRecord(await s.deviceApps.update(o, recordId(c), body.version, body.data)));
  });

  app.delete(RECORD, bearer, async (c) => {
    const o = await open(c);
    await s.deviceApps.delete(o, recordId(c), readVersion(queryParams(c).version));
    return c.body(null, 204);
  });
}
