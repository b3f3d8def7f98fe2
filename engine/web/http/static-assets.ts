import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { PATHS } from "../../paths.js";
import type { AppEnv } from "./env.js";

const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

interface Asset {
  body: Buffer;
  type: string;
}

function load(path: string): Asset {
  const ext = path.slice(path.lastIndexOf("."));
  return { body: readFileSync(path), type: TYPES[ext] ?? "application/octet-stream" };
}

/** htmx, Pico, SortableJS and @simplewebauthn/browser from node_modules, our own files from public/; read once, served from memory. */
export function staticAssets() {
  const vendor: Record<string, Asset> = {
    "htmx.min.js": load(require.resolve("htmx.org/dist/htmx.min.js")),
    "pico.min.css": load(require.resolve("@picocss/pico/css/pico.min.css")),
    // Drag and drop in the app designer.
    "sortable.min.js": load(require.resolve("sortablejs/Sortable.min.js")),
    // WebAuthn in the browser (passkey pages): the package's UMD bundle, global SimpleWebAuthnBrowser.
    "simplewebauthn-browser.js": load(
      join(dirname(require.resolve("@simplewebauthn/browser")), "..", "dist", "bundle", "index.umd.min.js"),
    ),
  };
  const app = new Hono<AppEnv>();
  const send = (asset: Asset | undefined, maxAge: number) =>
    asset
      ? new Response(new Uint8Array(asset.body), {
          headers: { "Content-Type": asset.type, "Cache-Control": `public, max-age=${maxAge}` },
        })
      : null;
  app.get("/assets/:file", (c) => send(vendor[c.req.param("file")], 86400) ?? c.notFound());
  const own = new Map<string, Asset>();
  app.get("/public/:file", (c) => {
    const file = c.req.param("file");
    if (!/^[a-z0-9-]+\.(css|js|svg|png|ico)$/.test(file)) return c.notFound();
    if (!own.has(file)) {
      try {
        own.set(file, load(join(PATHS.public, file)));
      } catch {
        return c.notFound();
      }
    }
    return send(own.get(file), 300)!;
  });
  return app;
}
