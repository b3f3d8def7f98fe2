// A child process for test/faults/sigkill-user-save.test.ts: the server's app
// (engine/web/app.tsx) on the database of DATA_DIR or DATABASE_URL, saving the
// account "sam" through POST /configure/users/:id in a loop until it is killed.
// Save number g writes generation g into every part of the account at once:
// display name, e-mail, a designer's field in users.data and the MFA settings
// (on for odd g with a delay of g % 7 days, off for even g). It prints the
// account as it finds it at start (`account {json}`: the state the previous
// process left, read after the database recovered), then `saving g` before
// and `saved g` after each save (with --read-only it stops after the account), with every SQL statement's log line between
// them, all on stdout so they arrive in order.
import { csrfTokenFor } from "../../engine/web/http/csrf.js";
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../engine/config.js";
import type { Db } from "../../engine/db/db.js";
import { createApp } from "../../engine/web/app.js";
import { createLogger } from "../../engine/log.js";
import { bootServices } from "../../engine/start.js";

/** The form an administrator posts for generation `g` of sam's account. */
export function samForm(g: number): Record<string, string> {
  return {
    username: "sam",
    displayName: `Sam generation ${g}`,
    email: `sam${g}@example.org`,
    password: "",
    role: "user",
    webAccess: "true",
    department: `dept-${g}`,
    ...(g % 2 === 1 ? { mfaEnabled: "true", mfaEnforcementDelayDays: String(g % 7) } : {}),
  };
}

/** Every part of sam's account that one save writes, and the audit entries saves leave. */
export interface Account {
  display_name: string;
  email: string;
  department: string | null;
  version: number;
  enabled: boolean | null;
  delay: number | null;
  required_from: string | Date | null;
  updates: number;
  enables: number;
  disables: number;
}

export async function readAccount(db: Db): Promise<Account> {
  const { rows } = await db.query<Account>(
    `SELECT u.display_name, u.email, u.data->>'department' AS department, u.version,
            m.enabled, m.enforcement_delay_days AS delay, m.required_from,
            (SELECT count(*)::int FROM audit_log a WHERE a.target_user_id = u.id AND a.action = 'user.update') AS updates,
            (SELECT count(*)::int FROM audit_log a WHERE a.target_user_id = u.id AND a.action = 'mfa.enable') AS enables,
            (SELECT count(*)::int FROM audit_log a WHERE a.target_user_id = u.id AND a.action = 'mfa.disable') AS disables
       FROM users u LEFT JOIN mfa_settings m ON m.user_id = u.id WHERE u.username = 'sam'`,
  );
  return rows[0]!;
}

async function main() {
  const config = loadConfig();
  const services = await bootServices(
    config,
    createLogger(config.LOG_LEVEL, (line) => process.stdout.write(line + "\n")),
  );
  const app = createApp(services);
  const root = (await services.users.byUsername("root"))!;
  const sam = (await services.users.byUsername("sam"))!;
  const { token } = await services.sessions.create(root.id, root.siteId, "full", null);
  const csrfCookie = randomBytes(32).toString("base64url");
  const csrf = csrfTokenFor(services.csrfKey, csrfCookie, root.id);
  const account = await readAccount(services.db);
  console.log(`account ${JSON.stringify(account)}`);
  if (process.argv.includes("--read-only")) {
    await services.db.close();
    return;
  }
  let version = account.version;
  // The parent closing stdin (or dying) ends the loop.
  process.stdin.on("end", () => process.exit(0)).resume();
  for (let g = version; ; g++) {
    console.log(`saving ${g}`);
    const res = await app.request(`/configure/users/${sam.id}`, {
      method: "POST",
      headers: {
        cookie: `fg_csrf=${csrfCookie}; fg_session=${token}`,
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://localhost",
      },
      body: new URLSearchParams({ ...samForm(g), _csrf: csrf, _version: String(version) }),
    });
    if (res.status !== 303) {
      console.log(`save ${g} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
      process.exit(1);
    }
    version++;
    console.log(`saved ${g}`);
  }
}

if (process.argv[1]?.endsWith("user-save-loop.ts")) await main();
