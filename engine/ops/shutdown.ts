import type { Server } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { Logger } from "../log.js";

/** How long requests in flight may take to finish after SIGTERM/SIGINT before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How long a connection accepted before the signal, on which no request has arrived yet, is given to
 * send one: its client may well have written it already, the server just had not read it.
 */
export const FIRST_REQUEST_MS = 1_000;

/** What a clean shutdown stops, in order: the flag /health/ready reads, the loops, the server, the database. */
export interface ShutdownParts {
  server: Pick<Server, "on" | "prependListener" | "closeAllConnections">;
  log: Logger;
  /** Set first: /health/ready answers 503 "shutting down" from then on. */
  flag: { shuttingDown: boolean };
  /** Background loops (purge, mail, backups, retention): each stops its timer. */
  stopLoops: (() => void)[];
  closeDb: () => Promise<void>;
  exit?: (code: number) => void;
  graceMs?: number;
  firstRequestMs?: number;
}

/** One accepted connection: how many requests it carried, how many are running. */
interface Conn {
  requests: number;
  active: number;
}

/**
 * Installs SIGTERM and SIGINT handlers: the first signal stops accepting connections, stops the
 * background loops, lets requests in flight finish (up to `graceMs`, 10 s), closes the database and
 * exits 0 (1 when the grace ran out with requests unfinished); a second signal exits 1 at once.
 * Returns the handler, for tests that call it without a signal.
 *
 * Connections already accepted are not cut: http.Server.close() would end every connection without
 * a request in flight, and that includes one whose request the client has sent but the server has
 * not read yet (under load, most of them: 46 of 50 were reset). So the listening socket is closed
 * alone (net.Server's close), every answer from then on carries `Connection: close`, keep-alive
 * connections that served a request and wait for the next are closed at once, and one that has not
 * carried a request yet gets `firstRequestMs` (1 s) to send it.
 */
export function installShutdown(parts: ShutdownParts): () => void {
  const exit = parts.exit ?? ((code: number) => process.exit(code));
  const conns = new Map<Socket, Conn>();
  let started = false;
  parts.server.on("connection", (socket: Socket) => {
    conns.set(socket, { requests: 0, active: 0 });
    socket.once("close", () => conns.delete(socket));
  });
  // First among the listeners: the header is set before the application writes its answer.
  parts.server.prependListener("request", (req, res) => {
    const conn = conns.get(req.socket);
    if (conn) {
      conn.requests++;
      conn.active++;
      res.once("close", () => {
        // An answer begun before the signal went out without `Connection: close`: end the connection
        // once it is flushed, or it would sit idle until the grace ran out.
        if (--conn.active === 0 && started) req.socket.end();
      });
    }
    if (started) res.setHeader("Connection", "close");
  });
  const endIdle = () => {
    for (const [socket, conn] of conns) {
      if (conn.active === 0 && conn.requests > 0) socket.destroy();
    }
  };
  const stop = () => {
    if (started) {
      parts.log.warn("second signal: exiting at once");
      exit(1);
      return;
    }
    started = true;
    parts.flag.shuttingDown = true;
    parts.log.info("shutting down: finishing requests in flight", {
      graceSeconds: (parts.graceMs ?? SHUTDOWN_GRACE_MS) / 1000,
    });
    for (const stopLoop of parts.stopLoops) stopLoop();
    const forced = setTimeout(() => {
      parts.log.warn("requests still running after the grace period: closing them");
      parts.server.closeAllConnections();
      void parts.closeDb().finally(() => exit(1));
    }, parts.graceMs ?? SHUTDOWN_GRACE_MS);
    forced.unref();
    // Stops accepting (net.Server's close: http.Server's would also end connections whose request is
    // not read yet); the callback runs once every connection has ended.
    NetServer.prototype.close.call(parts.server as unknown as NetServer, () => {
      clearTimeout(forced);
      void parts
        .closeDb()
        .then(() => {
          parts.log.info("stopped");
          exit(0);
        })
        .catch((err: Error) => {
          parts.log.error("closing the database failed", { error: err.message });
          exit(1);
        });
    });
    // Keep-alive connections waiting for a next request would hold the close up: end them now.
    endIdle();
    // A connection that has not carried a request yet: its client had its chance, unless it has
    // sent part of one (the server's headersTimeout and the grace bound that).
    const unused = [...conns].filter(([, conn]) => conn.requests === 0).map(([socket]) => socket);
    if (unused.length) {
      setTimeout(() => {
        for (const socket of unused) {
          if (conns.get(socket)?.requests === 0 && socket.bytesRead === 0) socket.destroy();
        }
      }, parts.firstRequestMs ?? FIRST_REQUEST_MS).unref();
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return stop;
}
