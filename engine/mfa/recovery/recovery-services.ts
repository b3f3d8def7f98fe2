import type { AuditLog } from "../../audit/audit-log.js";
import type { CredentialRevocation } from "../../auth/revocation.js";
import { Throttle } from "../../auth/throttle.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import type { Notices } from "../../mail/mail-model.js";
import { AccessPasses } from "./access-passes.js";
import { RecoveryCodes } from "./recovery-codes.js";
import { RecoveryHasher } from "./recovery-secrets.js";
import { RecoverySignIn } from "./recovery-sign-in.js";
import { SetupGrants } from "./setup-grants.js";

/** The helpdesk path's services: recovery codes, access passes, signing in with either, and the setup grant. */
export interface RecoveryServices {
  codes: RecoveryCodes;
  passes: AccessPasses;
  signIn: RecoverySignIn;
  grants: SetupGrants;
}

/**
 * Builds the recovery services over the database and the server key (the 32-byte key of
 * loadSecretKey, from which the hash key is derived) and the security notices (mail), and registers codes and passes with the one
 * revocation path.
 */
export function createRecoveryServices(
  db: Db,
  clock: Clock,
  audit: AuditLog,
  revocation: CredentialRevocation,
  serverKey: Buffer,
  notices: Notices,
): RecoveryServices {
  const hasher = new RecoveryHasher(serverKey);
  const codes = new RecoveryCodes(db, clock, audit, hasher, notices);
  const passes = new AccessPasses(db, clock, audit, hasher, notices);
  revocation.register(codes);
  revocation.register(passes);
  return {
    codes,
    passes,
    signIn: new RecoverySignIn(db, audit, new Throttle(db, clock), codes, passes, notices),
    grants: new SetupGrants(db, clock),
  };
}
