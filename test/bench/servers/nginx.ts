// nginx (the Debian package) in front of Formgate instances, for benchmarks: a temporary
// configuration and prefix directory, round-robin over the given upstream ports with keep-alive
// connections to them (closed by nginx before Node closes them after 5 s idle: a POST on a
// connection the server has just closed would be a 502), started in the foreground and stopped with its process group.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endWithThisProcess, freePort, stopServer } from "../../helpers/server-process.js";

export const NGINX = "/usr/sbin/nginx";

export interface Proxy {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts nginx on a free port in front of `upstreamPorts`; resolves when /healthz answers 200 through it. */
export async function startNginx(upstreamPorts: number[]): Promise<Proxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "formgate-bench-nginx-"));
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream formgate { ${upstreamPorts.map((p) => `server 127.0.0.1:${p};`).join(" ")} keepalive 64; keepalive_timeout 4s; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://formgate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  // -e: the compiled-in error log (/var/log/nginx) is not opened before the configuration is read.
  const child = spawn(NGINX, ["-e", `${dir}/error.log`, "-c", conf, "-p", dir], { stdio: "ignore", detached: true });
  endWithThisProcess(child.pid!);
  const stop = async () => {
    await stopServer(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + 10_000;
  for (;;) {
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (answer?.status === 200) return { port, child, stop };
    if (child.exitCode !== null || performance.now() > deadline) {
      const log = existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, "utf8") : "";
      await stop();
      throw new Error(`nginx did not answer (${answer?.status ?? "no connection"}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
