import type { AuditLog } from "../../audit/audit-log.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import type { MfaService } from "../mfa-service.js";
import type { SecretBox } from "../secret-box.js";
import { HardwareActivation } from "./activation.js";
import { HardwareTokens } from "./token-registry.js";
import { TokenImporter } from "./token-import.js";
import { TokenUploads } from "./uploads.js";

/** The hardware-token registry's services, as services.hardware. */
export interface HardwareServices {
  registry: HardwareTokens;
  importer: TokenImporter;
  uploads: TokenUploads;
  /** Binds a token to a user after a verified code; also the device API's HardwareActivation. */
  activation: HardwareActivation;
}

/**
 * Wires the hardware-token services over one database: the token registry, the file importer,
 * staged uploads and activation for users (through the MFA service).
 */
export function createHardwareServices(
  db: Db,
  clock: Clock,
  box: SecretBox,
  audit: AuditLog,
  mfa: MfaService,
): HardwareServices {
  const registry = new HardwareTokens(db, clock, box, audit);
  return {
    registry,
    importer: new TokenImporter(db, clock, box, audit),
    uploads: new TokenUploads(db, clock, box),
    activation: new HardwareActivation(registry, mfa, audit),
  };
}
