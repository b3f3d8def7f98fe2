// An SMTP server that accepts every mail and throws it away (the smtp-server package): the local
// sink of test/bench/mail-bench.ts, in a process of its own so the sender's CPU is measured alone.
// Prints "listening PORT" once it accepts connections.
import { SMTPServer } from "smtp-server";

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, _session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => callback());
  },
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening ${server.server.address().port}`);
});
