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

test("BACKUP_SCHEDULE and BACKUP_KEEP: bad values refused with what is accepted", () => {
  for (const bad of ["daily", "daily@2:00", "daily@24:00", "daily@02:60", "weekly", "Hourly", "hourly "]) {
    assert.match(
      errorFor({ BACKUP_SCHEDULE: bad }),
      /^Configuration error: BACKUP_SCHEDULE must be "hourly" or "daily@HH:MM" \(UTC, 00:00 to 23:59, e.g. daily@02:00\) \(got /,
      bad,
    );
  }
  assert.match(errorFor({ BACKUP_KEEP: "0" }), /BACKUP_KEEP must be at least 1/);
  assert.match(errorFor({ BACKUP_KEEP: "seven" }), /BACKUP_KEEP must be a whole number/);
  assert.match(
    errorFor({ BACKUP_SCHEDULE: "hourly", DATABASE_URL: "postgres://db/formgate" }),
    /BACKUP_SCHEDULE backs up the embedded database only; with DATABASE_URL back PostgreSQL up with pg_dump/,
  );
  const ok = loadConfig({ BACKUP_SCHEDULE: "daily@23:59", BACKUP_KEEP: "3" });
  assert.is(ok.BACKUP_SCHEDULE, "daily@23:59");
  assert.is(ok.BACKUP_KEEP, 3);
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
