// JSON text nested deeper than any input of the engine needs is refused before it is parsed: every
// walk over a parsed body (the unstorable-text check, Ajv, canonical JSON, merge patch, conflicts)
// then works on a value of bounded depth, so none can run long or exhaust the stack.

/**
 * The deepest nesting of arrays and objects the server reads from a client. A record nests a few
 * levels (the body, `data`, groups and rows, at most eight field levels: FIELD_PATH); an app
 * definition a few more (properties, items, x- keywords); 64 leaves room for all of them.
 */
export const MAX_JSON_DEPTH = 64;

/** JSON text nested deeper than allowed (a 400 wherever a body is read). */
export class JsonTooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`The JSON is nested more than ${maxDepth} levels deep.`);
    this.name = "JsonTooDeepError";
  }
}

/**
 * True when JSON text opens more than `maxDepth` arrays or objects inside each other. One pass over
 * the characters without recursion or allocation; brackets inside strings do not count. Text that is
 * not JSON gets an answer too (JSON.parse refuses it afterwards).
 */
export function jsonNestsDeeper(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * JSON.parse for text from a client: throws JsonTooDeepError when it nests deeper than `maxDepth`
 * (checked first, in linear time), else JSON.parse's SyntaxError for text that is not JSON.
 */
export function parseClientJson(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonNestsDeeper(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text);
}
