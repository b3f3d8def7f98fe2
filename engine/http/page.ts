import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.js";

/** Sends a rendered page with a status, marked uncacheable (pages may hold personal data). */
export function sendPage(c: Context<AppEnv>, page: JSX.Element, status: ContentfulStatusCode = 200) {
  c.header("Cache-Control", "no-store");
  return c.html(page, status);
}

/** Reads a urlencoded or multipart body into single string values; repeated names keep the last. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const last = Array.isArray(v) ? v.at(-1) : v;
    if (typeof last === "string") out[k] = last;
  }
  return out;
}
