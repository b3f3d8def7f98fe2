import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE, withoutUnstorable } from "../../util/storable-text.js";
import { ValidationError } from "../../errors.js";

/** Every posted name with all its values in order: text, or a file of a multipart post. */
export type PostedForm = Record<string, (string | File)[]>;

const FORM_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/** True for the two content types an HTML form posts. */
export function isFormContentType(header: string | undefined): boolean {
  return FORM_TYPE.test(header ?? "");
}

/**
 * Reads a urlencoded or multipart body once per request (Hono caches the parse, so the CSRF check and
 * the route share it); any other content type reads as an empty form. A body that cannot be parsed
 * (multipart without a boundary, cut off mid-part, garbage) is an HTTPException 400 whoever reads it
 * first; other failures (the body limit's 413) pass through unchanged.
 */
export async function readPostedForm(c: Context): Promise<PostedForm> {
  if (!isFormContentType(c.req.header("content-type"))) return {};
  let body: Record<string, string | File | (string | File)[]>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch (err) {
    if (err instanceof HTTPException) throw err;
    throw new HTTPException(400, { message: "The form could not be read: the request body is malformed." });
  }
  const out: PostedForm = {};
  for (const [name, v] of Object.entries(body)) out[name] = Array.isArray(v) ? v : [v];
  return out;
}

/**
 * A form post with text PostgreSQL cannot store (see engine/util/storable-text.ts), refused before
 * anything is looked up or saved: 422. `fields` maps each offending name to a message for that field's
 * slot; `values` is the post with those characters replaced by U+FFFD, so a route can re-render the
 * form with the input. A ValidationError (422, code "unstorable_text"): a route that does not catch it
 * gets app.onError's 422 page with the message.
 */
export class UnstorableTextError extends ValidationError {
  constructor(
    fields: Record<string, string>,
    readonly values: Record<string, string[]>,
  ) {
    const names = Object.keys(fields).map((n) => `"${n}"`);
    super(`The form field ${names.join(", ")} ${UNSTORABLE_TEXT_MESSAGE}. Remove it and send the form again.`, fields, {
      code: "unstorable_text",
    });
  }

  /** The first message, for a page with one error region. */
  get firstMessage(): string {
    return Object.values(this.fields)[0] ?? this.message;
  }
}

/**
 * The text values of a form post (files left out), every value of a name in order. Throws
 * HTTPException 400 for a malformed body and UnstorableTextError (422) when a name, value or file
 * name holds text PostgreSQL cannot store.
 */
export async function readFormText(c: Context): Promise<Record<string, string[]>> {
  const posted = await readPostedForm(c);
  checkStorable(posted);
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(posted)) {
    const texts = values.filter((v): v is string => typeof v === "string");
    if (texts.length) out[name] = texts;
  }
  return out;
}

/** Throws UnstorableTextError when any name, text value or file name of the post cannot be stored. */
export function checkStorable(posted: PostedForm): void {
  const fields: Record<string, string> = {};
  for (const [name, values] of Object.entries(posted)) {
    const bad = !isStorableText(name) || values.some((v) => !isStorableText(typeof v === "string" ? v : v.name));
    if (bad) fields[withoutUnstorable(name)] = `This field ${UNSTORABLE_TEXT_MESSAGE}.`;
  }
  if (!Object.keys(fields).length) return;
  const values: Record<string, string[]> = {};
  for (const [name, vs] of Object.entries(posted)) {
    const texts = vs.filter((v): v is string => typeof v === "string").map(withoutUnstorable);
    if (texts.length) values[withoutUnstorable(name)] = texts;
  }
  throw new UnstorableTextError(fields, values);
}

/**
 * A form post with its files, one value per name (the last), shaped like Hono's `parseBody()`. Throws
 * HTTPException 400 for a malformed body and UnstorableTextError (422) for text (a file name too)
 * PostgreSQL cannot store.
 */
export async function readFormWithFiles(c: Context): Promise<Record<string, string | File>> {
  const posted = await readPostedForm(c);
  checkStorable(posted);
  const out: Record<string, string | File> = {};
  for (const [name, values] of Object.entries(posted)) out[name] = values.at(-1)!;
  return out;
}
