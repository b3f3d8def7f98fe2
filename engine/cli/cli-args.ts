import { parseArgs } from "node:util";

/**
 * A mistake in a CLI command line or its input (unknown command or option, missing value or
 * argument, unknown user or site): printed as `formgate: message` without a stack trace, then the
 * usage lines when given, exit status 1. The one error class of every `formgate` command.
 */
export class CliError extends Error {
  /** `usage`: the usage lines printed after the message (the command's own, or the whole text). */
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** The options a command takes, by long name without `--`: a value (`string`) or a switch. */
export type CliOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

/** What was given: a string per valued option, `true` per switch; absent when not given. */
export type CliValues<O extends CliOptions> = {
  [K in keyof O]?: O[K]["type"] extends "string" ? string : true;
};

/**
 * Reads a command's arguments with `node:util` parseArgs: `--name value` and `--name=value`
 * (up to the first "=": `--where=field=value` keeps `field=value`), switches, `-h`, and
 * positionals (also after `--`). Throws CliError, with `usage` when given, for an unknown option
 * (naming the ones it takes), a valued option without a value (or with another option as its
 * value), a value given to a switch, and an option given twice.
 */
export function readArgs<O extends CliOptions>(
  args: readonly string[],
  options: O,
  usage?: string,
): { values: CliValues<O>; positionals: string[] } {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  const known = Object.keys(options).map((n) => `--${n}`);
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    const spec = options[t.name];
    if (!spec) throw new CliError(`unknown option "${t.rawName}" (options: ${known.join(" ") || "none"})`, usage);
    if (t.name in values) throw new CliError(`${t.rawName} is given twice`, usage);
    if (spec.type === "boolean") {
      if (t.value !== undefined) throw new CliError(`${t.rawName} takes no value`, usage);
      values[t.name] = true;
    } else {
      // parseArgs takes the next argument as the value whatever it is: "--role --site" lacks one.
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))) {
        throw new CliError(`${t.rawName} needs a value`, usage);
      }
      values[t.name] = t.value;
    }
  }
  return { values: values as CliValues<O>, positionals };
}

/** `--help` and `-h`, which every command takes. */
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const satisfies CliOptions;

/** Whether the arguments ask for the usage (`--help` or `-h` anywhere), whatever else they hold. */
export function wantsHelp(args: readonly string[]): boolean {
  return (
    parseArgs({ args: [...args], options: HELP_OPTION, strict: false, allowPositionals: true }).values.help === true
  );
}
