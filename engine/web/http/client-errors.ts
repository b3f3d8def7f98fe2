import type { Server } from "node:http";
import type { Duplex } from "node:stream";

/** Node's HTTP parser's refusals that have a status of their own; anything else it refuses is 400. */
const REFUSALS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout"],
};

/**
 * The headers of every answer the app gives (hono/secure-headers in app.tsx, page.ts's no-store)
 * that also make sense on a bare refusal: nothing cached, nothing sniffed, framed or run.
 */
const REFUSAL_HEADERS = [
  "Content-Type: text/plain; charset=utf-8",
  "Cache-Control: no-store",
  "X-Content-Type-Options: nosniff",
  "X-Frame-Options: SAMEORIGIN",
  "Cross-Origin-Resource-Policy: same-origin",
  "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
  "Referrer-Policy: same-origin",
  "Connection: close",
];

/**
 * Answers what Node's HTTP parser refuses before any route sees it — a malformed request line or
 * header (400), headers over Node's limit (431), a request that took too long to arrive (408) — with
 * the headers every other answer carries, instead of Node's bare "HTTP/1.1 400 Bad Request" with no
 * header but `Connection: close`. With a `clientError` listener Node writes nothing itself
 * (node:http, event 'clientError'); a connection reset or a socket that can no longer be written
 * is closed without an answer.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: never write into a response already on its way (a streamed export on
    // this connection, then garbage pipelined behind its request), which would corrupt it; close.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason] = REFUSALS[err.code ?? ""] ?? [400, "Bad Request"];
    const body = `${reason}.\n`;
    socket.end(
      [`HTTP/1.1 ${status} ${reason}`, ...REFUSAL_HEADERS, `Content-Length: ${Buffer.byteLength(body)}`, "", body].join(
        "\r\n",
      ),
    );
  });
}
