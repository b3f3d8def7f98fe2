// A child process for test/faults/sigkill-rollout.test.ts: `formgate mfa enable --role user
// --delay 14` as the service runs it, in batches of 5 users, on the database of DATA_DIR or
// DATABASE_URL. It prints `batch N` after each committed batch; with STOP_AFTER_BATCH=N it then
// waits for ever (the parent kills it there, between two batches). At the end it prints `done E`
// (E: users it switched on).
import { loadConfig } from "../../engine/config.js";
import { silentLogger } from "../../engine/log.js";
import { bootServices } from "../../engine/start.js";

const stopAfter = Number(process.env.STOP_AFTER_BATCH ?? 0);
const s = await bootServices(loadConfig(), silentLogger);
const r = await s.rollouts.apply(
  { siteId: null, role: "user" },
  { enforcementDelayDays: 14, moveDeadlines: false },
  { id: null, name: "cli", siteId: null },
  {
    batchSize: 5,
    afterBatch: async ({ batches }) => {
      console.log(`batch ${batches}`);
      if (batches === stopAfter) await new Promise(() => {});
    },
  },
);
console.log(`done ${r.enabled}`);
await s.db.close();
