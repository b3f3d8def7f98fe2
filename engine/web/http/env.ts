import type { Session } from "../../auth/sessions.js";
import type { Logger } from "../../log.js";

/** Per-request values every route can read through c.var. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    clientAddress: string | null;
    csrfToken: string;
    session: Session | null;
  };
}
