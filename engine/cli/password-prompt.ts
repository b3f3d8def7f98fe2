import { CliError } from "./cli-args.js";

/** A terminal to read from: what `process.stdin` is when `isTTY` is true. */
export interface PromptInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** Where the prompt goes (standard error, so standard output stays for results). */
export interface PromptOutput {
  write(text: string): unknown;
}

/**
 * Asks for a secret on a terminal without echoing it: the terminal is put in raw mode (so it
 * shows nothing typed), Backspace deletes, Enter ends, Ctrl-C or Ctrl-D on an empty line
 * cancels (CliError). Raw mode is switched off again whatever happens. Resolves to what was typed.
 */
export function promptHidden(prompt: string, input: PromptInput, output: PromptOutput): Promise<string> {
  if (!input.setRawMode) return Promise.reject(new CliError("standard input is not a terminal"));
  const setRawMode = input.setRawMode.bind(input);
  // Echo goes off before the prompt shows: nothing typed in answer to it can be echoed.
  setRawMode(true);
  output.write(prompt);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (err: CliError | null) => {
      input.removeListener("data", onData);
      setRawMode(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003" || (ch === "\u0004" && typed === "")) return finish(new CliError("cancelled"));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else if (ch >= " ") typed += ch;
      }
    };
    input.on("data", onData);
  });
}

/**
 * The password for `user create` and `user reset-password`: FORMGATE_PASSWORD when set, else
 * asked on the terminal without echo, else the first line of standard input. Throws CliError when
 * none is given.
 */
export async function readPassword(
  env: NodeJS.ProcessEnv = process.env,
  input: PromptInput & AsyncIterable<string | Buffer> = process.stdin,
  output: PromptOutput = process.stderr,
): Promise<string> {
  const fromEnv = env.FORMGATE_PASSWORD;
  if (fromEnv) return fromEnv;
  if (input.isTTY) return promptHidden("Password: ", input, output);
  let data = "";
  for await (const chunk of input) data += String(chunk);
  const line = data.split(/\r?\n/)[0] ?? "";
  if (!line) throw new CliError("no password given: set FORMGATE_PASSWORD or pipe it on standard input");
  return line;
}
