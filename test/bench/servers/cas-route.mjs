// The floor for the TOTP step: a bare Hono route that runs the same single compare-and-set
// `UPDATE … RETURNING` on a table shaped like mfa_enrollments (bench_cas), over a node-postgres
// pool of the engine's size. Started with plain `node` by test/bench/sign-in-bench.ts.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pg from "pg";

// The engine's pool settings (engine/db/pg-db.ts): its size, idle connections kept a minute, keep-alive.
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
  idleTimeoutMillis: 60_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
});
const app = new Hono();
app.get("/healthz", (c) => c.json({ status: "ok" }));
app.post("/cas", async (c) => {
  const { userId, step } = await c.req.json();
  const r = await pool.query(
    `UPDATE bench_cas SET last_used_step = $2, drift_steps = $3
     WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id`,
    [userId, step, 0],
  );
  return r.rowCount === 1 ? c.json({ status: "ok" }) : c.json({ error: { code: "invalid_code" } }, 401);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
