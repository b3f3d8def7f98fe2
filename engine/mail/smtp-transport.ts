import type { Transporter } from "nodemailer";
import type { MailTransport } from "./delivery.js";
import type { RenderedMail } from "./mail-model.js";

/**
 * nodemailer's pooled SMTP transport for `SMTP_URL` (`smtp://user:pass@host:port`, `smtps://…` for
 * TLS from the start; STARTTLS when the server offers it), sending from `from` (MAIL_FROM, an
 * RFC 5322 address such as `Formgate <formgate@example.org>`). Timeouts: 10 s to connect and for
 * the greeting, 30 s of silence on the socket.
 *
 * nodemailer (about 60 files) is imported when the first mail is sent, not at start (issue 26).
 */
export function smtpTransport(url: string, from: string): MailTransport {
  let mailer: Promise<Transporter> | undefined;
  const open = async () => {
    const { createTransport } = await import("nodemailer");
    return createTransport({
      url,
      pool: true,
      maxConnections: 3,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  };
  return {
    async send(to: string, mail: RenderedMail): Promise<void> {
      // A failed import or transport is tried again at the next mail.
      mailer ??= open().catch((err: unknown) => {
        mailer = undefined;
        throw err;
      });
      await (await mailer).sendMail({ from, to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => void mailer?.then((m) => m.close()).catch(() => {}),
  };
}
