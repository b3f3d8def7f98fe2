import type { Context } from "hono";
import type { AppEnv } from "./env.js";

/** An htmx request that asks for one region of the page (by the target's id) rather than the whole page. */
export function wantsRegion(c: Context<AppEnv>, id: string): boolean {
  return c.req.header("hx-request") === "true" && (c.req.header("hx-target") ?? "").endsWith(`#${id}`);
}
