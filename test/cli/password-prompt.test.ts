import { test } from "uvu";
import * as assert from "uvu/assert";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { spawn, spawnSync } from "node:child_process";
import { CliError, readArgs } from "../../engine/cli/cli-args.js";
import { readPassword, type PromptInput } from "../../engine/cli/password-prompt.js";
import { rejects } from "../helpers/assert.js";

/** A terminal double: records raw-mode switches, and what the program writes back. */
function fakeTerminal() {
  const rawModes: boolean[] = [];
  const input = Object.assign(new EventEmitter(), {
    isTTY: true,
    setRawMode: (raw: boolean) => rawModes.push(raw),
    setEncoding: () => undefined,
    resume: () => undefined,
    pause: () => undefined,
    [Symbol.asyncIterator]: () => {
      throw new Error("a terminal is not read as a stream");
    },
  }) as PromptInput & AsyncIterable<string>;
  let shown = "";
  const output = { write: (t: string) => (shown += t) };
  return { input, output, rawModes, shown: () => shown };
}

test("on a terminal the password is read in raw mode and never echoed; Backspace deletes", async () => {
  const t = fakeTerminal();
  const answer = readPassword({}, t.input, t.output);
  t.input.emit("data", "secret pass");
  t.input.emit("data", "x\u007f word\r");
  assert.is(await answer, "secret pass word");
  assert.equal(t.rawModes, [true, false], "raw mode on while typing, off after");
  assert.is(t.shown(), "Password: \n", "only the prompt and the line end are written");
});

test("Ctrl-C cancels the prompt and leaves raw mode", async () => {
  const t = fakeTerminal();
  const answer = readPassword({}, t.input, t.output);
  t.input.emit("data", "abc\u0003");
  await rejects(answer, (e) => e instanceof CliError && e.message === "cancelled");
  assert.equal(t.rawModes, [true, false]);
});

test("without a terminal: FORMGATE_PASSWORD first, else the first line of standard input", async () => {
  assert.is(
    await readPassword({ FORMGATE_PASSWORD: "from env" }, fakeTerminal().input, { write: () => 0 }),
    "from env",
  );
  const piped = new PassThrough();
  piped.end("piped password\nsecond line\n");
  assert.is(await readPassword({}, piped, { write: () => 0 }), "piped password");
  const empty = new PassThrough();
  empty.end("");
  await rejects(readPassword({}, empty), /no password given/);
});

test("flags: --name value and --name=value, switches, clear errors for what parseArgs lets through", () => {
  const options = { role: { type: "string" }, admin: { type: "boolean" } } as const;
  assert.equal(readArgs(["x", "--role=a=b", "--admin"], options), {
    values: { role: "a=b", admin: true },
    positionals: ["x"],
  });
  for (const [args, message] of [
    [["--role"], "--role needs a value"],
    [["--role", "--admin"], "--role needs a value"],
    [["--admin=yes"], "--admin takes no value"],
    [["--role", "a", "--role", "b"], "--role is given twice"],
    [["--everyone"], 'unknown option "--everyone" (options: --role --admin)'],
  ] as const) {
    assert.throws(
      () => readArgs(args, options),
      (e: unknown) => e instanceof CliError && e.message === message,
      message,
    );
  }
});

// util-linux `script` (Debian's bsdutils, on every machine of this project) makes the terminal.
const hasScript = spawnSync("script", ["--version"]).status === 0;

test("through a real pseudo-terminal (script), the typed password is not echoed", async () => {
  if (!hasScript) return console.log("  (skipped: no `script` command for a pseudo-terminal)");
  // `script` gives the command a terminal; the password is typed only once the prompt is shown,
  // so the terminal's own echo (on until raw mode) cannot show it either.
  const program =
    'import("./engine/cli/password-prompt.ts").then(async (m) => console.log("length", (await m.readPassword({})).length))';
  const child = spawn("script", ["-qfec", `${process.execPath} --import tsx -e '${program}'`, "/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let seen = "";
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.stdout.on("data", (d: Buffer) => {
    const before = seen;
    seen += d.toString();
    if (!before.includes("Password:") && seen.includes("Password:")) child.stdin.write("hunter2-typed\r");
  });
  assert.is(await done, 0, seen);
  assert.match(seen, /length 13/);
  assert.not.match(seen, /hunter2/);
});

test.run();
