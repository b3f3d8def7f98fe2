// A real SMTP server on 127.0.0.1 for the mail suites (the smtp-server package), reading what
// arrives with mailparser. `answer` decides each mail's reply: accept, a 4xx or a 5xx with text.
import { once } from "node:events";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { freePort } from "./server-process.js";

/** One mail as it arrived: envelope recipient, headers and both bodies. */
export interface ArrivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

/** What the sink answers to one mail: null to accept, or an SMTP reply code and its text. */
export type SinkAnswer = { code: number; text: string } | null;

export interface SmtpSink {
  port: number;
  url: string;
  arrived: ArrivedMail[];
  /** Every mail offered, accepted or not (the n-th try of a mail is its n-th offer). */
  offered: number;
  /** Decides the reply to each offered mail (default: accept). */
  answer: (offer: number, to: string) => SinkAnswer;
  /** Stops listening (connections are refused) until start() is called again, on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Resolves once `n` mails have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

/** Starts a sink on a free port (or `port`); `parse: false` counts mails without parsing them (benchmarks). */
export async function startSmtpSink(options: { port?: number; parse?: boolean } = {}): Promise<SmtpSink> {
  const port = options.port ?? (await freePort());
  const waiters: { n: number; resolve: () => void }[] = [];
  let server: SMTPServer | null = null;
  const sink: SmtpSink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    arrived: [],
    offered: 0,
    answer: () => null,
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async start() {
      if (server) return;
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        logger: false,
        // No reverse DNS of 127.0.0.1 (a second per connection), and stop() closes open connections at once.
        disableReverseLookup: true,
        closeTimeout: 50,
        onData(stream, session, callback) {
          const to = session.envelope.rcptTo.map((r) => r.address).join(",");
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const answer = sink.answer(++sink.offered, to);
            if (answer) {
              const err = Object.assign(new Error(answer.text), { responseCode: answer.code });
              return callback(err);
            }
            const done = (mail: ArrivedMail) => {
              sink.arrived.push(mail);
              for (const w of [...waiters]) {
                if (sink.arrived.length >= w.n) {
                  waiters.splice(waiters.indexOf(w), 1);
                  w.resolve();
                }
              }
              callback();
            };
            if (options.parse === false) return done({ to, from: "", subject: "", text: "", html: "" });
            simpleParser(Buffer.concat(chunks)).then(
              (m) =>
                done({
                  to,
                  from: m.from?.text ?? "",
                  subject: m.subject ?? "",
                  text: m.text ?? "",
                  html: typeof m.html === "string" ? m.html : "",
                }),
              (err: Error) => callback(err),
            );
          });
        },
      });
      server.listen(port, "127.0.0.1");
      await once(server.server, "listening");
    },
    waitFor(n, timeoutMs = 30_000) {
      if (sink.arrived.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${sink.arrived.length} of ${n} mails arrived`)),
          timeoutMs,
        );
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
  await sink.start();
  return sink;
}
