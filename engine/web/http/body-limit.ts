import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";

/** What a body over the limit is answered with (a 413 in the surface's own format). */
export type TooLarge<C extends Context> = (c: C) => Response | Promise<Response>;

/**
 * hono's bodyLimit (the same limit, `maxSize` in bytes, the same `onError`), without its cost on
 * the common request. hono's middleware starts by asking the raw request for its body, which makes
 * @hono/node-server build a full undici Request (headers, AbortSignal, a web stream over the
 * socket) for every request, a GET included, and the JSON body is then read through that stream
 * instead of the adapter's direct read. Behind Node's HTTP parser (`c.env.incoming` is the
 * IncomingMessage) the headers already say what hono would find: no Content-Length and no
 * Transfer-Encoding is a request without a body (RFC 9112 §6.3), and a Content-Length is exact —
 * the parser delivers that many bytes and no more — so it is compared with the limit as hono
 * does. Anything else (a chunked body, a request not from Node's parser, as in app.request) goes
 * through hono's bodyLimit, which counts the bytes as they arrive; a body cut off on the way is a
 * 400 (HTTPException).
 */
export function declaredBodyLimit<C extends Context>(maxSize: number, onError: TooLarge<C>): MiddlewareHandler {
  const counted = bodyLimit({ maxSize, onError: onError as TooLarge<Context> });
  return (c, next) => {
    const fromNodeParser = (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined;
    if (fromNodeParser && c.req.header("transfer-encoding") === undefined) {
      const length = c.req.header("content-length");
      if (length === undefined) return next();
      return Number.parseInt(length, 10) > maxSize ? Promise.resolve(onError(c as C)) : next();
    }
    // A body that stops arriving (the client went away mid-chunk) fails hono's read with an
    // "aborted" error: a 400 like any malformed body, not an unhandled error. Errors after the read
    // (from `next`) are not this middleware's.
    let reading = true;
    return counted(c, () => {
      reading = false;
      return next();
    }).catch((err: unknown) => {
      if (!reading || err instanceof HTTPException) throw err;
      throw new HTTPException(400, { message: "The request body was cut off or malformed." });
    });
  };
}
