// Benchmark of the designer's check of a field change against the values stored (engine/apps/
// stored-value-checks.ts) on an app with 10,000 records: a designer's Save field over HTTP
// in-process (app.request(): session, draft, the check, the refusal's page; beside it the same
// request for a new label, which changes no rule and is saved), and the check alone
// for a whole number's new minimum (few distinct values), a long text's new maximum length and a
// text turned into a Date (a distinct value per record: the worst case of the grouped read).
//
//   npm run bench -- designer-check [--records 10000] [--rounds 5]
//
// Not part of `npm test`: it prints numbers and asserts nothing but that each change is refused.
// On the embedded database by default; FORMGATE_TEST_BACKEND=pg with TEST_DATABASE_URL for PostgreSQL.
import { ManualClock } from "../../engine/clock.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { storedValueProblems } from "../../engine/apps/stored-value-checks.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { openTestDb, testBackend } from "../helpers/db.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RECORDS = arg("records", 10_000);
const ROUNDS = arg("rounds", 5);
const PASSWORD = "correct horse battery";
const APP = "review-test";

const DEFINITION: AppDefinition = {
  id: APP,
  title: "Review test",
  record: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: { type: "string", title: "Name", minLength: 1, maxLength: 200 },
      count: { type: "integer", title: "Count", minimum: 0, maximum: 1000 },
      notes: { type: "string", title: "Notes", "x-widget": "textarea" },
    },
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const db = await openTestDb();
  try {
    const clock = new ManualClock();
    const services = createServices(
      db,
      clock,
      testConfig({ LOG_LEVEL: "silent" }),
      silentLogger,
      Buffer.from(TEST_SECRET_KEY, "base64"),
    );
    const site = await services.sites.publicSite();
    await services.users.create({ siteId: site.id, username: "bench", password: PASSWORD, role: "designer" });
    const app = await services.apps.save(site.id, DEFINITION, { id: null, name: "bench" }, null);
    const start = performance.now();
    await db.query(
      `INSERT INTO records (site_id, app_id, data, created_at, updated_at, change_seq)
       SELECT $1, $2, jsonb_build_object('name', 'Record ' || i, 'count', i % 1000,
         'notes', 'Notes of record ' || i || repeat(' and more', i % 20)), $3, $3, i
       FROM generate_series(1, $4::int) AS i`,
      [site.id, APP, clock.now(), RECORDS],
    );
    await db.query("ANALYZE");
    console.log(
      `${testBackend}: ${RECORDS.toLocaleString("en")} records ready in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );

    const changed = (change: (d: AppDefinition) => void) => {
      const d = structuredClone(DEFINITION);
      change(d);
      return d;
    };
    const cases: [string, AppDefinition][] = [
      ["Count: minimum 6", changed((d) => void (d.record.properties.count!.minimum = 6))],
      ["Notes: maximum length 20", changed((d) => void (d.record.properties.notes!.maxLength = 20))],
      ["Name: Text to Date", changed((d) => void (d.record.properties.name = { type: "string", format: "date" }))],
    ];
    for (const [label, after] of cases) {
      const times: number[] = [];
      let message = "";
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const problems = await storedValueProblems(db, app, site.id, DEFINITION, after);
        times.push(performance.now() - t0);
        message = problems[0]?.message ?? "NOT REFUSED";
      }
      console.log(`${label.padEnd(26)} check alone: median ${median(times).toFixed(0)} ms  (${message.slice(0, 70)}…)`);
    }

    const client = new TestClient(createApp(services));
    await client.signIn("bench", PASSWORD);
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const r = await client.post(`/configure/apps/${APP}/fields/count`, { minimum: "6" });
      times.push(performance.now() - t0);
      if (r.res.status !== 422) throw new Error(`Save field answered ${r.res.status}, not 422`);
    }
    console.log(`Save field (Count: minimum 6), whole request: median ${median(times).toFixed(0)} ms`);
    // The same request for a label (no rule changes, nothing read but what every save reads): saved.
    const labels: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const r = await client.post(`/configure/apps/${APP}/fields/count`, { title: `Count ${i}` });
      labels.push(performance.now() - t0);
      if (r.res.status !== 303) throw new Error(`Save field answered ${r.res.status}, not 303`);
    }
    console.log(`Save field (Count: a new label), whole request: median ${median(labels).toFixed(0)} ms`);
  } finally {
    await db.close();
  }
}

await main();
