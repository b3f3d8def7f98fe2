import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { ConfigError, loadConfig } from "../engine/config.js";

test("defaults give a runnable configuration", () => {
  const c = loadConfig({});
  assert.equal(c, {
    PORT: 3000,
    DATA_DIR: "./data",
    TRUST_PROXY: false,
    LOG_LEVEL: "info",
    TOTP_WINDOW_STEPS: 1,
    MAIL_POLL_SECONDS: 10,
  });
});

test("values are converted to their types", () => {
  const c = loadConfig({ PORT: "8080", TRUST_PROXY: "true", LOG_LEVEL: "debug", DATABASE_URL: "postgres://x@h/db" });
  assert.is(c.PORT, 8080);
  assert.is(c.TRUST_PROXY, true);
  assert.is(c.DATABASE_URL, "postgres://x@h/db");
});

const errorFor = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  assert.unreachable("expected a configuration error");
  return "";
};

test("a bad value names its variable", () => {
  assert.match(errorFor({ PORT: "abc" }), /^Configuration error: PORT must be a whole number \(got "abc"\)$/);
  assert.match(errorFor({ PORT: "70000" }), /PORT must be at most 65535/);
  assert.match(errorFor({ TOTP_WINDOW_STEPS: "11" }), /TOTP_WINDOW_STEPS must be at most 10/);
  assert.match(errorFor({ LOG_LEVEL: "loud" }), /LOG_LEVEL must be one of/);
  assert.match(errorFor({ TRUST_PROXY: "perhaps" }), /TRUST_PROXY must be a boolean/);
  assert.match(errorFor({ DATABASE_URL: "mysql://x" }), /DATABASE_URL has an invalid format/);
  assert.match(errorFor({ FORMGATE_SECRET_KEY: "short" }), /FORMGATE_SECRET_KEY has an invalid format$/);
});

test("ADMIN_USERNAME needs ADMIN_PASSWORD, and the password is never echoed", () => {
  assert.match(errorFor({ ADMIN_USERNAME: "root" }), /ADMIN_PASSWORD is required/);
  const msg = errorFor({ ADMIN_USERNAME: "root", ADMIN_PASSWORD: "tooshort" });
  assert.match(msg, /ADMIN_PASSWORD must be at least 12 characters/);
  assert.not.match(msg, /tooshort/);
});

test("the server refuses to start on a config error with one line naming the variable", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "engine/main.ts"], {
    env: { ...process.env, PORT: "not-a-port" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /PORT/);
});

test.run();
