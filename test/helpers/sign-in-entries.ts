import type { TestEnv } from "./app.js";

/**
 * The user's sign-in audit entries (sign_in.*), oldest first, each as "action outcome surface
 * [stage]": "sign_in.passkey success web passwordless".
 */
export async function signInEntries(env: TestEnv, userId: string): Promise<string[]> {
  const { rows } = await env.db.query<{
    action: string;
    details: { outcome: string; surface: string; stage?: string };
  }>("SELECT action, details FROM audit_log WHERE target_user_id = $1 AND action LIKE 'sign_in.%' ORDER BY id", [
    userId,
  ]);
  return rows.map((r) => [r.action, r.details.outcome, r.details.surface, r.details.stage].filter(Boolean).join(" "));
}
