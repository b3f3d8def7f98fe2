/**
 * The WebAuthn relying party (W3C WebAuthn Level 2, §5.4.2 and §13.4.9) of this deployment,
 * from PUBLIC_URL: its host name is the RP id, its origin (scheme, host, port) the only origin
 * accepted in client data. Without PUBLIC_URL: http://localhost:PORT, as the server prints.
 */

/** RP id (a host name, no port), origin (`https://login.example.org`) and the name shown by authenticators. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** The relying party's display name authenticators show beside the account. */
export const RP_NAME = "Formgate";

/**
 * The relying party for `publicUrl` (an absolute http or https URL) or, when it is unset,
 * http://localhost:`port`. Throws TypeError for a URL that is not absolute http(s).
 */
export function relyingParty(publicUrl: string | undefined, port: number): RelyingParty {
  const url = new URL(publicUrl ?? `http://localhost:${port}`);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("PUBLIC_URL must be http or https");
  return { id: url.hostname, origin: url.origin, name: RP_NAME };
}
