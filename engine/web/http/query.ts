import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE, withoutUnstorable } from "../../util/storable-text.js";

/**
 * The query string's parameters, one value per name (the first, as Hono reads them). The one reader of
 * query parameters for every route (test/http/query-reader.test.ts holds routes to it): a name or any
 * value holding text PostgreSQL cannot store (U+0000, an unpaired surrogate) is an HTTPException 400
 * that names the parameter, so such text never reaches a search, a filter or a cursor.
 */
export function queryParams(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(queryValues(c))) out[name] = values[0]!;
  return out;
}

/**
 * Every value of every query parameter (`?ids=a&ids=b` → `{ ids: ["a", "b"] }`), checked as
 * queryParams checks them (HTTPException 400 for text PostgreSQL cannot store), for the forms whose
 * GET repeats a field.
 */
export function queryValues(c: Context): Record<string, string[]> {
  const all = c.req.queries();
  for (const [name, values] of Object.entries(all)) {
    if (!isStorableText(name) || values.some((v) => !isStorableText(v))) {
      const cause: UnstorableQueryCause = { unstorableParameter: isStorableText(name) ? name : null };
      throw new HTTPException(400, {
        message: `The query parameter "${withoutUnstorable(name)}" ${UNSTORABLE_TEXT_MESSAGE}.`,
        cause,
      });
    }
  }
  return all;
}

/**
 * The cause of queryValues' 400, for an API that names the parameter (the device API answers a 422
 * naming it, as it does other bad parameters): its name, or null when the name itself cannot be
 * stored (it is not echoed).
 */
export interface UnstorableQueryCause {
  unstorableParameter: string | null;
}

/** The parameter an error of queryValues names (see UnstorableQueryCause), or undefined for any other error. */
export function unstorableQueryParameter(err: unknown): string | null | undefined {
  if (!(err instanceof HTTPException)) return undefined;
  const cause = err.cause as Partial<UnstorableQueryCause> | undefined;
  return cause && "unstorableParameter" in cause ? cause.unstorableParameter : undefined;
}

/** One query parameter through queryParams (every parameter is checked, not only this one). */
export function queryParam(c: Context, name: string): string | undefined {
  return queryParams(c)[name];
}

/**
 * Middleware: a path whose decoded text PostgreSQL cannot store (`/apps/%00/new`) is an HTTPException
 * 400 before any route runs, so no path parameter (an app id, a record id, a setup token) can carry
 * such text to a query. Hono decodes the path once (decodeURI), which is what the routes match and
 * their parameters are cut from.
 */
export const refuseUnstorablePath: MiddlewareHandler = async (c, next) => {
  if (!isStorableText(c.req.path)) {
    throw new HTTPException(400, { message: `The address ${UNSTORABLE_TEXT_MESSAGE}.` });
  }
  return next();
};
