/** The WebAuthn library's module (@simplewebauthn/server). */
export type WebAuthnLibrary = typeof import("@simplewebauthn/server");

let loading: Promise<WebAuthnLibrary> | undefined;

/**
 * @simplewebauthn/server, loaded on first use rather than at start: with its ASN.1 and COSE
 * dependencies it cost about 0.4 s of CPU at every start (issue 26, start-up), and only passkey
 * registration and assertion need it. Later calls share the one import. Rejects as the import does.
 */
export function webauthnLibrary(): Promise<WebAuthnLibrary> {
  loading ??= import("@simplewebauthn/server");
  return loading;
}
