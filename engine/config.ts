import { validatorFor, describeError, errorPointer } from "./schema/ajv.js";
import type { FormgateConfig } from "./schema/types.js";

/** The engine configuration, read from the environment and checked against schemas/config.schema.json. */
export type Config = FormgateConfig;

/**
 * Thrown when an environment variable of the configuration is missing or invalid; the message names
 * the variable.
 */
export class ConfigError extends Error {}

const DEFAULTS = {
  PORT: "3000",
  DATA_DIR: "./data",
  TRUST_PROXY: "false",
  LOG_LEVEL: "info",
  TOTP_WINDOW_STEPS: "1",
  MAIL_POLL_SECONDS: "10",
};
const KNOWN = [
  "PORT",
  "DATA_DIR",
  "DATABASE_URL",
  "FORMGATE_SECRET_KEY",
  "ADMIN_USERNAME",
  "ADMIN_PASSWORD",
  "TRUST_PROXY",
  "LOG_LEVEL",
  "PUBLIC_URL",
  "TOTP_WINDOW_STEPS",
  "METRICS_TOKEN",
  "BACKUP_SCHEDULE",
  "BACKUP_KEEP",
  "AUDIT_RETENTION_DAYS",
  "SMTP_URL",
  "MAIL_FROM",
  "MAIL_POLL_SECONDS",
] as const;

/** Clearer words than "has an invalid format" for variables an operator writes by hand. */
const PATTERN_HELP: Record<string, string> = {
  BACKUP_SCHEDULE: 'must be "hourly" or "daily@HH:MM" (UTC, 00:00 to 23:59, e.g. daily@02:00)',
  // The value is never shown (a secret): the rule has to say all.
  METRICS_TOKEN:
    "must be 16 to 256 printable ASCII characters without spaces (e.g. the output of `openssl rand -hex 32`)",
};

const INTEGERS = new Set(["PORT", "TOTP_WINDOW_STEPS", "MAIL_POLL_SECONDS", "BACKUP_KEEP", "AUDIT_RETENTION_DAYS"]);

// Environment values are strings; convert only the well-formed ones so the
// schema reports the badly-formed ones by name.
function convert(name: string, raw: string): unknown {
  if (INTEGERS.has(name) && /^\d+$/.test(raw)) return Number(raw);
  if (name === "TRUST_PROXY") {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
  }
  return raw;
}

/** Reads and validates configuration; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, unknown> = {};
  for (const name of KNOWN) {
    const raw = env[name] ?? DEFAULTS[name as keyof typeof DEFAULTS];
    if (raw !== undefined && raw !== "") input[name] = convert(name, raw);
  }
  const validate = validatorFor<Config>("config.schema.json");
  if (!validate(input)) {
    const e = validate.errors![0]!;
    const name = errorPointer(e).replace(/^\//, "") || "configuration";
    const shown =
      name === "ADMIN_PASSWORD" || name === "FORMGATE_SECRET_KEY" || name === "METRICS_TOKEN" || name === "SMTP_URL"
        ? ""
        : describeValue(input[name]);
    const why = e.keyword === "pattern" && name in PATTERN_HELP ? PATTERN_HELP[name]! : describeError(e);
    throw new ConfigError(`Configuration error: ${name} ${why}${shown}`);
  }
  if (input.BACKUP_SCHEDULE !== undefined && input.DATABASE_URL !== undefined) {
    throw new ConfigError(
      "Configuration error: BACKUP_SCHEDULE backs up the embedded database only; with DATABASE_URL back " +
        "PostgreSQL up with pg_dump (see docs/operations.md) and unset BACKUP_SCHEDULE",
    );
  }
  return input;
}

function describeValue(v: unknown): string {
  return v === undefined ? "" : ` (got ${JSON.stringify(v)})`;
}
