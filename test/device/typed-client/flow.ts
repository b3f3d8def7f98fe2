// What a mobile app does with a client generated from the app's OpenAPI document: openapi-fetch
// over the types openapi-typescript wrote (equipment-inspections-api.ts). `npm run check`
// type-checks this file against them, so a request or answer the document does not describe fails
// to compile; test/device/typed-client.test.ts runs it against the server.
import createClient from "openapi-fetch";
import type { components, paths } from "./equipment-inspections-api.js";

const APP = "/api/device/apps/equipment-inspections";
type Record = components["schemas"]["DeviceRecord"];
type Changes = components["schemas"]["DeviceRecordChanges"];

/** A typed client of one device user: `fetch` answers the requests (the server in-process). */
export function typedClient(fetch: (request: Request) => Promise<Response>, token: string) {
  return createClient<paths>({ baseUrl: "http://formgate.test", fetch, headers: { Authorization: `Bearer ${token}` } });
}
type Client = ReturnType<typeof typedClient>;

/** The next page of the change feed after `cursor`. */
export async function sync(client: Client, cursor: string): Promise<Changes> {
  const { data, error } = await client.GET(`${APP}/records`, { params: { query: { changedSince: cursor } } });
  if (error || !data || !("cursor" in data)) throw new Error(`sync failed: ${JSON.stringify(error)}`);
  return data;
}

/** What the flow saw, step by step, for the test to check. */
export interface FlowResult {
  appIds: string[];
  definitionVersion: number;
  resultWidget: unknown;
  created: Record;
  createStatus: number;
  retried: Record;
  retryStatus: number;
  updated: Record;
  stale: { status: number; code: string; changed: string[] };
  invalid: { status: number; fields: { [pointer: string]: string } };
  afterOthers: Changes;
  deleteStatus: number;
}

/**
 * Lists apps, reads the definition, creates a record (and retries the create with the same
 * Idempotency-Key), updates it, meets a 409 on a stale version and a 422 naming a field; then a
 * second client changes that record and deletes one of its own, and the first client's next sync
 * brings both; finally the first client deletes its record.
 */
export async function typedClientFlow(a: Client, b: Client): Promise<FlowResult> {
  const apps = await a.GET("/api/device/apps");
  const definition = await a.GET(APP);
  let cursor = "0";
  for (;;) {
    const page = await sync(a, cursor);
    cursor = page.cursor;
    if (!page.records.length && !page.deleted.length) break;
  }

  const data = {
    equipment: "Air compressor",
    serialNumber: "AC-100",
    inspectedOn: "2026-03-01",
    result: "pass" as const,
  };
  const create = () =>
    a.POST(`${APP}/records`, { params: { header: { "Idempotency-Key": "flow-create-1" } }, body: { data } });
  const first = await create();
  const retry = await create();
  const created = first.data!;

  const update = await a.PATCH(`${APP}/records/{recordId}`, {
    params: { path: { recordId: created.id } },
    body: { version: created.version, data: { location: "Yard", hoursInUse: 1200 } },
  });
  const stale = await a.PATCH(`${APP}/records/{recordId}`, {
    params: { path: { recordId: created.id } },
    body: { version: created.version, data: { equipment: "Renamed" } },
  });
  const invalid = await a.POST(`${APP}/records`, { body: { data: { ...data, serialNumber: "not valid!" } } });

  // A second device changes the record and deletes one of its own.
  const theirs = await b.POST(`${APP}/records`, {
    body: { data: { equipment: "Forklift", serialNumber: "FL-7", inspectedOn: "2026-03-02", result: "fail" } },
  });
  await b.PATCH(`${APP}/records/{recordId}`, {
    params: { path: { recordId: created.id } },
    body: { version: update.data!.version, data: { result: "pass-with-notes" } },
  });
  await b.DELETE(`${APP}/records/{recordId}`, { params: { path: { recordId: theirs.data!.id } } });
  const afterOthers = await sync(a, cursor);

  const removed = await a.DELETE(`${APP}/records/{recordId}`, { params: { path: { recordId: created.id } } });
  return {
    appIds: (apps.data?.apps ?? []).map((app) => app.id),
    definitionVersion: definition.data!.version,
    resultWidget: (definition.data!.schema.properties as { result: { "x-widget"?: unknown } }).result["x-widget"],
    created,
    createStatus: first.response.status,
    retried: retry.data!,
    retryStatus: retry.response.status,
    updated: update.data!,
    stale: {
      status: stale.response.status,
      code: stale.error?.error.code ?? "",
      changed: stale.error?.error.changed ?? [],
    },
    invalid: { status: invalid.response.status, fields: invalid.error?.error.fields ?? {} },
    afterOthers,
    deleteStatus: removed.response.status,
  };
}
