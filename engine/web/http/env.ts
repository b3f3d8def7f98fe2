import type { Session } from "../../auth/sessions.js";
import type { Logger } from "../../log.js";
import type { PageExtras } from "../../render/notices.js";

/** Per-request values every route can read through c.var. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    clientAddress: string | null;
    csrfToken: string;
    session: Session | null;
    /** The request carried a session cookie that is no longer valid (expired or ended). */
    staleSession?: boolean;
    /** The one-time message that arrived with this request (engine/web/http/flash.ts). */
    flashIn?: string | null;
    /** Set when flashIn was rendered (or unreadable): the response clears the cookie. */
    flashShown?: boolean;
    /** A message for the next page, queued by flash(). */
    flashOut?: string;
    /** What every full page adds around its content: message, MFA banner, Configure navigation. */
    pageExtras?: () => Promise<PageExtras>;
  };
}
