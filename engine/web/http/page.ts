import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.js";
import { readFormText, UnstorableTextError } from "./form-body.js";
import { UNSTORABLE_TEXT_MESSAGE } from "../../util/storable-text.js";

/**
 * Sends a rendered page with a status, marked uncacheable (pages may hold personal data). A page
 * whose components all render synchronously goes out as one string: Hono sends a string at once,
 * where an HTML object takes an async detour (about a fifth of an edit form's request time).
 */
export function sendPage(c: Context<AppEnv>, page: JSX.Element, status: ContentfulStatusCode = 200) {
  c.header("Cache-Control", "no-store");
  // JSX nodes render on toString(): a string, or a promise when a component is async.
  const body = page instanceof Promise ? page : (page as { toString(): string | Promise<string> }).toString();
  return c.html(body, status);
}

/**
 * Reads a urlencoded or multipart body into single string values; repeated names keep the last, files
 * are left out. Throws HTTPException 400 for a malformed body and UnstorableTextError (422) for text
 * PostgreSQL cannot store (see engine/web/http/form-body.ts).
 */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(await readFormText(c))) out[k] = v.at(-1)!;
  return out;
}

/**
 * formFields for a route that shows text PostgreSQL cannot store in its own form: the fields (that text
 * replaced by U+FFFD, so the form can show the input) and the names that held it. The route must refuse
 * the post (422) when `unstorable` is not empty; a malformed body is still an HTTPException 400.
 */
export async function formFieldsForForm(
  c: Context<AppEnv>,
): Promise<{ fields: Record<string, string>; unstorable: string[] }> {
  try {
    return { fields: await formFields(c), unstorable: [] };
  } catch (err) {
    if (!(err instanceof UnstorableTextError)) throw err;
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(err.values)) fields[k] = v.at(-1)!;
    return { fields, unstorable: Object.keys(err.fields) };
  }
}

/** "Username contains a character that cannot be stored …" for a name `formFieldsForForm` reported. */
export function unstorableMessage(name: string, labels: Record<string, string>): string {
  return `${labels[name] ?? `The form field "${name}"`} ${UNSTORABLE_TEXT_MESSAGE}.`;
}
