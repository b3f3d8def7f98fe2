import { createTransport } from "nodemailer";
import type { MailTransport } from "./delivery.js";
import type { RenderedMail } from "./mail-model.js";

/**
 * nodemailer's pooled SMTP transport for `SMTP_URL` (`smtp://user:pass@host:port`, `smtps://…` for
 * TLS from the start; STARTTLS when the server offers it), sending from `from` (MAIL_FROM, an
 * RFC 5322 address such as `Formgate <formgate@example.org>`). Timeouts: 10 s to connect and for
 * the greeting, 30 s of silence on the socket.
 */
export function smtpTransport(url: string, from: string): MailTransport {
  const mailer = createTransport({
    url,
    pool: true,
    maxConnections: 3,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(to: string, mail: RenderedMail): Promise<void> {
      await mailer.sendMail({ from, to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => mailer.close(),
  };
}
