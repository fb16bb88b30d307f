import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The firewall feed's token check, for pollers that cannot sign requests (PAN-OS, FortiGate,
 * Check Point): `Authorization: Bearer <token>`, or `Basic` with the token as the password (any
 * user name). Only the token's sha256 is kept and compared, in constant time.
 */

/** The sha256 (hex) a token is kept as. */
export function hashFeedToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The token an Authorization header presents (bearer, or basic's password), or null. */
export function presentedToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) return null;
  const [, scheme, credentials = ""] = match;
  if (scheme?.toLowerCase() === "bearer") return credentials;
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Whether the header presents the token whose sha256 is `expectedSha256` (hex). */
export function feedTokenMatches(authorization: string | undefined, expectedSha256: string) {
  const token = presentedToken(authorization);
  if (token === null || token === "") return false;
  const presented = Buffer.from(hashFeedToken(token), "hex");
  const expected = Buffer.from(expectedSha256.toLowerCase(), "hex");
  return expected.length === presented.length && timingSafeEqual(presented, expected);
}

/**
 * A token file's hash: the file holds the token itself (trimmed), or `sha256:<hex>` so the
 * serving host never holds the token. Throws naming the problem.
 */
export function tokenFileHash(text: string, file: string): string {
  const content = text.trim();
  const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(content);
  if (hashed?.[1] !== undefined) return hashed[1].toLowerCase();
  if (content.length < 16) {
    throw new Error(
      `${file}: the token must be at least 16 characters (or sha256:<64 hex digits>), got ${content.length}`,
    );
  }
  if (/\s/.test(content)) throw new Error(`${file}: the token must be one line without spaces`);
  return hashFeedToken(content);
}
