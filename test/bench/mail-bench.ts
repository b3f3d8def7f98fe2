// Benchmark: 10,000 queued mails delivered to a local SMTP sink by the outbox's sender
// (MailDelivery: claim with FOR UPDATE SKIP LOCKED, render, send over nodemailer's pooled
// transport, mark sent with one audit entry per mail), against the same transport sending the
// same rendered mails straight from memory (no database): mails per second and the sender's CPU
// per mail, in interleaved rounds, medians of three. The sink runs in a process of its own, so the
// CPU measured is the sender's (PostgreSQL's backends are not counted).
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- mail [MAILS]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../engine/clock.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { silentLogger } from "../../engine/log.js";
import { MailDelivery } from "../../engine/mail/delivery.js";
import { smtpTransport } from "../../engine/mail/smtp-transport.js";
import { renderMail } from "../../engine/mail/templates.js";
import { createDatabase } from "../helpers/db.js";

const MAILS = Number(process.argv[2] ?? 10_000);
const ROUNDS = 3;
/** The sender's claim size (the server's default). */
const BATCH = 50;

if (!process.env.TEST_DATABASE_URL) {
  console.error("mail-bench needs TEST_DATABASE_URL (a PostgreSQL server it may create a database on)");
  process.exit(2);
}

const sinkProcess = spawn(process.execPath, [fileURLToPath(new URL("servers/smtp-sink.mjs", import.meta.url))], {
  stdio: ["ignore", "pipe", "inherit"],
});
const [line] = (await once(sinkProcess.stdout, "data")) as [Buffer];
const port = Number(/listening (\d+)/.exec(line.toString())![1]);
const database = await createDatabase();
const db = openPgDb(database.url);
await migrate(db);
const siteId = (await db.query<{ id: string }>("SELECT id FROM sites WHERE is_public")).rows[0]!.id;
const now = new Date();
// MAILS users with an address: each mail is a reminder to one of them (a mail.sent audit entry each).
await db.query(
  `INSERT INTO users (site_id, username, display_name, email, created_at, updated_at)
   SELECT $1, 'bench' || g, 'Bench user ' || g, 'bench' || g || '@example.org', $2, $2 FROM generate_series(1, $3) g`,
  [siteId, now, MAILS],
);
const from = "Formgate <formgate@example.org>";
const publicUrl = "https://formgate.example.org";
const transport = smtpTransport(`smtp://127.0.0.1:${port}`, from);
const delivery = new MailDelivery(db, systemClock, silentLogger, transport, { from, publicUrl, batchSize: BATCH });
const facts = (i: number) => ({
  siteName: "Public Site",
  username: `bench${i}`,
  displayName: `Bench user ${i}`,
  deadline: new Date(now.getTime() + 3 * 86_400_000).toISOString(),
  step: "3",
});

interface Measured {
  perSecond: number;
  cpuMsPerMail: number;
}

async function measure(run: () => Promise<number>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sent = await run();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  if (sent !== MAILS) throw new Error(`sent ${sent} of ${MAILS}`);
  return { perSecond: MAILS / seconds, cpuMsPerMail: (used.user + used.system) / 1000 / MAILS };
}

async function outboxRound(): Promise<Measured> {
  await db.query("DELETE FROM mail_outbox");
  await db.query(
    `INSERT INTO mail_outbox (site_id, user_id, kind, to_address, details, state, next_attempt_at, created_at, updated_at)
     SELECT u.site_id, u.id, 'mfa_reminder_now', u.email,
       jsonb_build_object('siteName', 'Public Site', 'username', u.username, 'displayName', u.display_name,
         'deadline', $2::text, 'step', '3'), 'queued', $1, $1, $1
     FROM users u WHERE u.username LIKE 'bench%'`,
    [new Date(), facts(0).deadline],
  );
  return measure(async () => (await delivery.deliverDue()).sent);
}

async function directRound(): Promise<Measured> {
  return measure(async () => {
    let sent = 0;
    for (let i = 0; i < MAILS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, MAILS - i) }, (_, k) => i + k + 1);
      await Promise.all(
        batch.map(async (n) => {
          await transport.send(`bench${n}@example.org`, renderMail("mfa_reminder_now", facts(n), publicUrl));
          sent++;
        }),
      );
    }
    return sent;
  });
}

const results: { outbox: Measured[]; direct: Measured[] } = { outbox: [], direct: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const o = await outboxRound();
    const d = await directRound();
    results.outbox.push(o);
    results.direct.push(d);
    console.log(
      `round ${round}: outbox ${o.perSecond.toFixed(0)} mails/s, ${o.cpuMsPerMail.toFixed(2)} ms CPU/mail; ` +
        `direct ${d.perSecond.toFixed(0)} mails/s, ${d.cpuMsPerMail.toFixed(2)} ms CPU/mail`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (name: string, ms: Measured[]) =>
    `${name.padEnd(28)} ${median(ms.map((m) => m.perSecond))
      .toFixed(0)
      .padStart(8)} mails/s ` +
    `${median(ms.map((m) => m.cpuMsPerMail))
      .toFixed(2)
      .padStart(8)} ms CPU/mail`;
  console.log(`\n${MAILS} mails to a local SMTP sink, medians of ${ROUNDS} interleaved rounds:`);
  console.log(row("outbox (MailDelivery)", results.outbox));
  console.log(row("direct (same transport)", results.direct));
  const ratio = median(results.outbox.map((m) => m.perSecond)) / median(results.direct.map((m) => m.perSecond));
  console.log(`outbox / direct throughput: ${ratio.toFixed(2)}`);
} finally {
  transport.close();
  await db.close();
  await database.drop();
  sinkProcess.kill();
}
