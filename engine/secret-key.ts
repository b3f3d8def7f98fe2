import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { makeDataDir } from "./db/data-dir.js";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import type { Config } from "./config.js";

/**
 * The secret key this configuration already has, without making one: FORMGATE_SECRET_KEY, else
 * DATA_DIR/secret.key when that file exists; null when there is none yet. For `formgate restore`,
 * which must not invent a key. Throws when DATA_DIR/secret.key is not a 32-byte base64 key.
 */
export function readSecretKey(config: Pick<Config, "FORMGATE_SECRET_KEY" | "DATA_DIR">): Buffer | null {
  if (config.FORMGATE_SECRET_KEY) return Buffer.from(config.FORMGATE_SECRET_KEY, "base64");
  const file = join(resolve(config.DATA_DIR), "secret.key");
  if (!existsSync(file)) return null;
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}

/**
 * The 32-byte key that encrypts secrets at rest: FORMGATE_SECRET_KEY, or in
 * embedded mode one generated once into DATA_DIR/secret.key (mode 0600).
 */
export function loadSecretKey(config: Pick<Config, "FORMGATE_SECRET_KEY" | "DATA_DIR" | "DATABASE_URL">): Buffer {
  if (config.FORMGATE_SECRET_KEY) return Buffer.from(config.FORMGATE_SECRET_KEY, "base64");
  if (config.DATABASE_URL) {
    throw new Error(
      "Configuration error: FORMGATE_SECRET_KEY is required with DATABASE_URL (every instance needs the same key)",
    );
  }
  const dir = resolve(config.DATA_DIR);
  const file = join(dir, "secret.key");
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return key;
  }
  makeDataDir(dir);
  writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
}
