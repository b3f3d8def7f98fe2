// The one reader of `Authorization: Bearer …` (the device API's tokens, /metrics' token).

/**
 * The credentials of an `Authorization: Bearer CREDENTIALS` header, or null for a missing header or
 * another scheme. The scheme is matched in any letter case (RFC 7235 §2.1: `bearer` and `BEARER`
 * are Bearer) and is followed by one or more spaces (1*SP); what follows is returned as sent, for
 * the caller to check.
 */
export function bearerCredentials(header: string | undefined): string | null {
  const m = /^bearer +(.+)$/i.exec(header ?? "");
  return m ? m[1]! : null;
}
