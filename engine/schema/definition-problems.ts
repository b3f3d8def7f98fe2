import { ValidationError } from "../errors.js";
import type { AppDefinition } from "./types.js";

/** One reason a definition is refused: where (a JSON Pointer into the definition) and why. */
export interface DefinitionProblem {
  pointer: string;
  message: string;
}

/**
 * The result of checking an app definition: the definition when valid, else its problems (JSON
 * Pointer and message each).
 */
export type DefinitionCheck = { ok: true; definition: AppDefinition } | { ok: false; problems: DefinitionProblem[] };

/**
 * A refused definition (a ValidationError, 422, code "invalid_definition"); the message names the
 * source (file or version) and every problem with its pointer, and `fields` maps each JSON Pointer
 * ("/" for the root) to its message.
 */
export class DefinitionError extends ValidationError {
  constructor(
    readonly source: string,
    readonly problems: DefinitionProblem[],
  ) {
    super(
      `${source}: invalid app definition\n${formatProblems(problems)}`,
      Object.fromEntries(problems.map((p) => [p.pointer || "/", p.message])),
      { code: "invalid_definition" },
    );
  }
}

/**
 * Definition problems as indented lines `  <JSON Pointer>: <message>` (`/` for the root), for the
 * CLI and logs.
 */
export function formatProblems(problems: DefinitionProblem[]): string {
  return problems.map((p) => `  ${p.pointer || "/"}: ${p.message}`).join("\n");
}
