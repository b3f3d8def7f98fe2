// The one reader of a posted HTML form (issue 19, "one way to validate input"): every form route
// reads its body through readForm, which reads it once (Hono caches the parse, so the CSRF check and
// the route share it), applies the unstorable-text check, validates against the form's JSON Schema
// with the shared strict Ajv (engine/schema/ajv.ts) and hands the route the values with one message
// per field. test/architecture/form-reader.test.ts holds every other module under engine/web to it.
// The device API reads JSON through its own single reader (engine/web/device/body.ts).
import type { SchemaObject } from "ajv/dist/2020.js";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ValidationError } from "../../errors.js";
import { compileSchema, describeError, errorPointer } from "../../schema/ajv.js";
import { unescapePointer } from "../../schema/identifiers.js";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE, withoutUnstorable } from "../../util/storable-text.js";

/** Every posted name with all its values in order: text, or a file of a multipart post. */
export type PostedForm = Record<string, (string | File)[]>;

const FORM_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

const URLENCODED = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;

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
async function parseOnce(c: Context): Promise<PostedForm> {
  const type = c.req.header("content-type");
  if (!isFormContentType(type)) return {};
  const out: PostedForm = {};
  try {
    // Every sign-in and save posts urlencoded: read as text (the adapter's direct read, cached for
    // the next reader) and split by URLSearchParams, the WHATWG urlencoded parser undici's
    // formData() applies too — without the Response and web stream Hono's parseBody builds around it.
    if (URLENCODED.test(type!)) {
      for (const [name, value] of new URLSearchParams(await c.req.text())) {
        if (Object.hasOwn(out, name)) out[name]!.push(value);
        else out[name] = [value];
      }
      return out;
    }
    const body = await c.req.parseBody({ all: true });
    for (const [name, v] of Object.entries(body)) out[name] = Array.isArray(v) ? v : [v];
    return out;
  } catch (err) {
    // A body cut off (the client went away mid-post) or garbled is the client's fault.
    if (err instanceof HTTPException) throw err;
    throw new HTTPException(400, { message: "The form could not be read: the request body is malformed." });
  }
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

/** Throws UnstorableTextError when any name, text value or file name of the post cannot be stored. */
function checkStorable(posted: PostedForm): void {
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
 * The CSRF field of a post, for the CSRF middleware (engine/web/http/csrf.ts), which runs before any
 * route: the last text value of `name`, or undefined. Nothing else is checked here; the route's
 * readForm reuses the parse. Throws HTTPException 400 for a malformed body.
 */
export async function postedToken(c: Context, name: string): Promise<string | undefined> {
  const value = (await parseOnce(c))[name]?.at(-1);
  return typeof value === "string" ? value : undefined;
}

/** What a form route asks of readForm. Every part is optional: `readForm(c)` reads text fields and throws on bad text. */
export interface FormSpec {
  /**
   * The form's JSON Schema (draft 2020-12, compiled once with the shared strict Ajv), applied to
   * `one`: an object of the posted names, each its last value as a string.
   */
  schema?: SchemaObject;
  /** The message for a field the schema refuses, by field name (else the field's label and Ajv's words). */
  messages?: Record<string, string>;
  /** Field labels for messages ("Username contains a character that cannot be stored …"). */
  labels?: Record<string, string>;
  /**
   * What a file does: "ignore" (the default; files are left out), "accept" (in `files`), or
   * "refuse" (HTTPException 400 "Files are not accepted here.").
   */
  files?: "ignore" | "accept" | "refuse";
  /** Refuse a body that is not an HTML form post with HTTPException 415 (else it reads as an empty form). */
  formOnly?: boolean;
  /**
   * "report": errors come back in `errors` for the route to show the form again; "throw" (the
   * default): the first problem is thrown, UnstorableTextError for text, ValidationError for the
   * schema (both 422 through app.onError).
   */
  onInvalid?: "report" | "throw";
}

/** A form post as readForm hands it to a route. */
export interface FormInput<T = Record<string, string>> {
  /** Every text value of each name, in order (text that cannot be stored shown with U+FFFD). */
  all: Record<string, string[]>;
  /** The last text value of each name. */
  one: Record<string, string>;
  /** The last file of each name (only with `files: "accept"`). */
  files: Record<string, File>;
  /** Names (and file names) holding text PostgreSQL cannot store, refused before the schema looks. */
  unstorable: string[];
  /** One message per field name ("" for the form as a whole); empty when the post is valid. */
  errors: Record<string, string>;
  /** `one` as the schema's type when nothing is wrong, else null. */
  value: T | null;
}

const FILES_REFUSED = "Files are not accepted here.";

/**
 * Reads a posted form once (see the module comment): text values, files as `spec.files` says,
 * text PostgreSQL cannot store refused, then `spec.schema` applied. Throws HTTPException 400 for a
 * malformed body (and a file where `files: "refuse"`), 415 for a non-form body with `formOnly`, and
 * with `onInvalid: "throw"` (the default) UnstorableTextError or ValidationError (422) with one
 * message per field.
 */
export async function readForm<T = Record<string, string>>(c: Context, spec: FormSpec = {}): Promise<FormInput<T>> {
  if (spec.formOnly && !isFormContentType(c.req.header("content-type"))) {
    throw new HTTPException(415, { message: "Send the form as a form post." });
  }
  const posted = await parseOnce(c);
  const filesPolicy = spec.files ?? "ignore";
  if (filesPolicy === "refuse" && Object.values(posted).some((vs) => vs.some((v) => typeof v !== "string"))) {
    throw new HTTPException(400, { message: FILES_REFUSED });
  }
  const input: FormInput<T> = { all: {}, one: {}, files: {}, unstorable: [], errors: {}, value: null };
  try {
    checkStorable(posted);
  } catch (err) {
    if (!(err instanceof UnstorableTextError) || spec.onInvalid !== "report") throw err;
    input.unstorable = Object.keys(err.fields);
    for (const name of input.unstorable) {
      input.errors[name] = `${spec.labels?.[name] ?? `The form field "${name}"`} ${UNSTORABLE_TEXT_MESSAGE}.`;
    }
  }
  for (const [rawName, values] of Object.entries(posted)) {
    const name = withoutUnstorable(rawName);
    const texts = values.filter((v): v is string => typeof v === "string").map(withoutUnstorable);
    if (texts.length) {
      input.all[name] = texts;
      input.one[name] = texts.at(-1)!;
    }
    const file = values.filter((v): v is File => typeof v !== "string").at(-1);
    if (file && filesPolicy === "accept") input.files[name] = file;
  }
  if (input.unstorable.length) return input;
  if (spec.schema) Object.assign(input.errors, schemaErrors(spec, input.one));
  if (Object.keys(input.errors).length === 0) input.value = input.one as T;
  else if (spec.onInvalid !== "report") {
    throw new ValidationError(Object.values(input.errors)[0]!, input.errors);
  }
  return input;
}

/**
 * The schema's refusals of `one`, one message per field: `spec.messages`, else the label and Ajv's
 * words. readForm applies it to a post; a GET that takes the same form in its query (a preview)
 * applies it to the query's values, so both answer alike.
 */
export function schemaErrors(spec: FormSpec, one: Record<string, string>): Record<string, string> {
  const validate = compileSchema(spec.schema!);
  if (validate(one)) return {};
  const out: Record<string, string> = {};
  for (const e of validate.errors ?? []) {
    const name = errorPointer(e).split("/").slice(1).map(unescapePointer).join(".");
    const label = spec.labels?.[name] ?? (name ? `The form field "${name}"` : "The form");
    out[name] ??= spec.messages?.[name] ?? `${label} ${describeError(e)}.`;
  }
  return out;
}
