// Reading a posted record form (the generic record routes, engine/web/apps/): the body as posted
// names and values, refused at the boundary when it is not a form or holds a file, and text
// PostgreSQL cannot store turned into a message per field.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { FormBody } from "../../schema/form-post.js";
import { unstorableTextErrors, type FieldErrors } from "../../schema/record-validation.js";
import type { FieldNode } from "../../schema/field-nodes.js";
import type { AppEnv } from "../http/env.js";
import { checkStorable, isFormContentType, readPostedForm, UnstorableTextError } from "../http/form-body.js";

/**
 * A post's fields, every value kept in order. Throws HTTPException 415 when the body is not a form,
 * 400 for a file (no record field takes one) or a malformed body, and UnstorableTextError for text
 * PostgreSQL cannot store.
 */
export async function readRecordPost(c: Context<AppEnv>): Promise<FormBody> {
  if (!isFormContentType(c.req.header("content-type"))) {
    throw new HTTPException(415, { message: "Send the form as a form post." });
  }
  const posted = await readPostedForm(c);
  if (Object.values(posted).some((values) => values.some((x) => typeof x !== "string"))) {
    throw new HTTPException(400, { message: "Files are not accepted here." });
  }
  checkStorable(posted);
  return posted as FormBody;
}

/**
 * readRecordPost for a route that shows the form again: text PostgreSQL cannot store is replaced
 * (U+FFFD) in `body` and reported in `textErrors`, one message per field of `fields`. The route must
 * refuse the post (422) when `textErrors` is not empty.
 */
export async function readRecordPostForForm(
  c: Context<AppEnv>,
  fields: FieldNode[],
): Promise<{ body: FormBody; textErrors: FieldErrors }> {
  try {
    return { body: await readRecordPost(c), textErrors: {} };
  } catch (err) {
    if (!(err instanceof UnstorableTextError)) throw err;
    return { body: err.values, textErrors: unstorableTextErrors(Object.keys(err.fields), fields) };
  }
}

/** The last value posted under a name (a repeated name keeps the last), or undefined. */
export const lastValue = (v: string[] | undefined): string | undefined => v?.[v.length - 1];
