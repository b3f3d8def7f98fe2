import { ConfigError, loadConfig } from "../config.js";
import { listMigrations, migrate } from "../db/migrate.js";
import { BackupFileError, BackupNotWrittenError } from "../ops/backup-file.js";
import { backupTo, restoreFrom } from "../ops/backup-restore.js";
import { openDb } from "../db/open.js";
import { readSecretKey } from "../secret-key.js";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger } from "../log.js";
import { bootServices } from "../start.js";
import { UserInputError } from "../auth/user-accounts.js";
import { CliError, HELP_OPTION, readArgs, wantsHelp } from "./cli-args.js";
import { readPassword } from "./password-prompt.js";
import { runTokensCommand, TOKENS_USAGE } from "./tokens-cli.js";
import { MFA_USAGE, runMfaCommand } from "./mfa-cli.js";
import { MFA_ROLLOUT_USAGE, runMfaEnable, runMfaPolicy } from "./mfa-rollout-cli.js";
import { plural } from "../util/plural.js";

const USER_USAGE = `  user create USERNAME [--admin|--role R] [--site SLUG] [--display-name NAME]
                                           create a user; the password is read from
                                           FORMGATE_PASSWORD or standard input
  user reset-password USERNAME             set a new password (same sources)`;

const MIGRATE_USAGE = `  migrate                                  apply database migrations`;
const BACKUP_USAGE = `  backup FILE [--force]                    back the embedded database up into FILE (server stopped);
                                           an existing FILE is replaced only with --force
  restore FILE                             replace the embedded database by the backup FILE (server stopped)`;

const USAGE = `Usage: formgate <command> [--option value | --option=value]

Commands:
${MIGRATE_USAGE}
${BACKUP_USAGE}
${USER_USAGE}
${MFA_USAGE}
${MFA_ROLLOUT_USAGE}
${TOKENS_USAGE}
  help                                     show this text; formgate COMMAND --help (or -h)
                                           shows the usage of one command

The embedded database (DATA_DIR) is used by one process at a time: stop the server before running a
command on it, or use PostgreSQL (DATABASE_URL) to run commands beside a running server.`;

/** Each command's own usage lines, for `formgate COMMAND --help`. */
const COMMAND_USAGE: Record<string, string> = {
  migrate: MIGRATE_USAGE,
  backup: BACKUP_USAGE,
  restore: BACKUP_USAGE,
  user: USER_USAGE,
  mfa: `${MFA_USAGE}\n${MFA_ROLLOUT_USAGE}`,
  tokens: TOKENS_USAGE,
};

/** The subcommands of `formgate mfa`, named in the message for an unknown one. */
const MFA_SUBCOMMANDS = ["status", "reset", "unlock", "enable", "policy"];

/** The options of `user create|reset-password`. */
const USER_OPTIONS = {
  ...HELP_OPTION,
  admin: { type: "boolean" },
  role: { type: "string" },
  site: { type: "string" },
  "display-name": { type: "string" },
} as const;

/**
 * Runs one `formgate` command from its arguments (without node and the script), printing to
 * stdout/stderr; resolves to the exit status (0 done, 2 when called without a command). Throws
 * CliError on a bad command line; opens and closes the database itself.
 */
export async function runCli(argv: string[]): Promise<number> {
  const args = [...argv];
  const command = args.shift();
  if (!command || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (wantsHelp(args)) {
    const usage = COMMAND_USAGE[command];
    if (!usage) throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
    console.log(`Usage: formgate ${command} …\n\n${usage}`);
    return 0;
  }
  // Who holds the embedded data directory while this command runs (see engine/db/data-dir-lock.ts).
  const by = `formgate ${command}${args[0] && !args[0].startsWith("-") ? ` ${args[0]}` : ""}`;
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, (l) =>
    process.stderr.write(l + "\n"),
  );

  if (command === "migrate") {
    const { positionals } = readArgs(args, HELP_OPTION, MIGRATE_USAGE);
    if (positionals.length) throw new CliError(`unexpected arguments: ${positionals.join(" ")}`, MIGRATE_USAGE);
    const db = await openDb(config, log, by);
    try {
      const applied = await migrate(db);
      console.log(
        applied.length ? `applied: ${applied.join(", ")}` : `up to date (${listMigrations().length} migrations)`,
      );
    } finally {
      await db.close();
    }
    return 0;
  }

  if (command === "backup" || command === "restore") {
    const { values, positionals } = readArgs(
      args,
      command === "backup" ? { ...HELP_OPTION, force: { type: "boolean" } } : HELP_OPTION,
      BACKUP_USAGE,
    );
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError(`${command} needs one FILE`, BACKUP_USAGE);
    if (config.DATABASE_URL) {
      throw new CliError(`DATABASE_URL is set: back PostgreSQL up with pg_dump and restore it with pg_restore`);
    }
    try {
      if (command === "restore") {
        const { replacedBy } = await restoreFrom(config.DATA_DIR, file, new Date(), readSecretKey(config));
        console.log(`restored ${file}${replacedBy ? `; the replaced data directory is kept as ${replacedBy}` : ""}`);
        return 0;
      }
      const force = (values as { force?: boolean }).force === true;
      // Said here, with the option's name, before the database is opened; backupTo checks it again.
      if (!force && existsSync(file) && !statSync(file).isDirectory()) {
        throw new CliError(`${file} already exists: --force replaces it; no backup was written`);
      }
      const db = await openDb(config, log, by);
      try {
        const { sha256, bytes } = await backupTo(db, file, new Date(), {
          madeBy: "cli",
          secretKey: readSecretKey(config),
          overwrite: force,
          space: { dataDir: resolve(config.DATA_DIR) },
        });
        console.log(`backed up into ${file} (${bytes} bytes, SHA-256 ${sha256})`);
      } finally {
        await db.close();
      }
    } catch (err) {
      if (err instanceof BackupNotWrittenError) throw new CliError(`${file}: ${err.message}; no backup was written`);
      if (err instanceof BackupFileError) throw new CliError(`${file}: ${err.message}; nothing was changed`);
      throw err;
    }
    return 0;
  }

  if (command === "user") {
    const sub = args.shift();
    if (sub !== "create" && sub !== "reset-password")
      throw new CliError(
        sub ? `unknown user command "${sub}": valid commands are create, reset-password` : `user needs a command`,
        USER_USAGE,
      );
    const { values, positionals } = readArgs(args, USER_OPTIONS, USER_USAGE);
    const role = values.admin ? "admin" : (values.role ?? "user");
    const siteSlug = values.site ?? "public";
    const displayName = values["display-name"];
    const [username, ...extra] = positionals;
    if (!username) throw new CliError(`user ${sub} needs a USERNAME`);
    if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`);
    if (role !== "admin" && role !== "designer" && role !== "user") {
      throw new CliError(`--role must be admin, designer or user (got "${role}")`);
    }
    const s = await bootServices(config, log, undefined, by);
    try {
      if (sub === "create") {
        const site = await s.sites.bySlug(siteSlug);
        if (!site) throw new CliError(`no site "${siteSlug}"`);
        const user = await s.users.create({
          siteId: site.id,
          username,
          password: await readPassword(),
          role,
          displayName,
        });
        await s.audit.record({
          siteId: site.id,
          actor: { id: null, name: "cli" },
          action: "user.create",
          target: { id: user.id, name: user.username },
          details: { role },
        });
        // The site's MFA policy holds for accounts made here as for those made in Configure > Users.
        const delay = await s.mfaPolicies.delayFor(site.id, role);
        if (delay !== null) {
          await s.mfa.settings.applySettings(
            user.id,
            { enabled: true, enforcementDelayDays: delay },
            { id: null, name: "cli", siteId: null },
          );
        }
        console.log(
          `created ${role} ${user.username} on ${site.slug}${delay !== null ? `; MFA on (site policy), ${plural(delay, "day")} to set up` : ""}`,
        );
      } else {
        const user = await s.users.byUsername(username);
        if (!user) throw new CliError(`no user "${username}"`);
        const revoked = await s.users.setPassword(user.id, await readPassword());
        await s.audit.record({
          siteId: user.siteId,
          actor: { id: null, name: "cli" },
          action: "user.password_reset",
          target: { id: user.id, name: user.username },
          details: { revoked },
        });
        console.log(
          `password of ${user.username} changed; signed out everywhere: ${plural(revoked.webSessions ?? 0, "web session")}, ` +
            `${plural(revoked.deviceTokens ?? 0, "device token")}`,
        );
      }
    } finally {
      await s.db.close();
    }
    return 0;
  }

  if (command === "mfa" && (args[0] === "enable" || args[0] === "policy")) {
    const sub = args.shift();
    const s = await bootServices(config, log, undefined, by);
    try {
      console.log(sub === "enable" ? await runMfaEnable(s, args) : await runMfaPolicy(s, args));
    } finally {
      await s.db.close();
    }
    return 0;
  }

  if (command === "mfa") {
    const sub = args[0];
    if (!sub || !MFA_SUBCOMMANDS.includes(sub)) {
      throw new CliError(
        `${sub ? `unknown mfa command "${sub}"` : "mfa needs a command"}: valid commands are ${MFA_SUBCOMMANDS.join(", ")}`,
        COMMAND_USAGE.mfa,
      );
    }
    if (!args[1]) throw new CliError(`mfa ${sub} needs a USERNAME`, MFA_USAGE);
    const s = await bootServices(config, log, undefined, by);
    try {
      console.log(await runMfaCommand(s, args));
    } finally {
      await s.db.close();
    }
    return 0;
  }

  if (command === "tokens") {
    const s = await bootServices(config, log, undefined, by);
    try {
      console.log(await runTokensCommand(s, args));
    } finally {
      await s.db.close();
    }
    return 0;
  }

  throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof CliError) console.error(`formgate: ${err.message}${err.usage ? `\n\n${err.usage}` : ""}`);
    else if (err instanceof ConfigError) console.error(`formgate: ${err.message}`);
    else if (err instanceof UserInputError) console.error(`formgate: ${err.field} ${err.message}`);
    else console.error(`formgate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
