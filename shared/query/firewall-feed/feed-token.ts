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
  // Buffer.from ignores what is not base64: check the alphabet and padding first.
  if (!BASE64.test(credentials)) return null;
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : decoded.slice(colon + 1);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether the header presents the token whose sha256 is `expectedSha256` (hex). */
export function feedTokenMatches(authorization: string | undefined, expectedSha256: string) {
  return matchingTokenHash(authorization, [expectedSha256]) !== null;
}

/**
 * Which of the hashes (hex sha256) the header's token has, or null (no token, or none matches).
 * Every hash is compared, in constant time, so the time does not tell which one matched.
 */
export function matchingTokenHash(
  authorization: string | undefined,
  hashes: readonly string[],
): string | null {
  const token = presentedToken(authorization);
  if (token === null || token === "") return null;
  const presented = Buffer.from(hashFeedToken(token), "hex");
  let match: string | null = null;
  for (const hash of hashes) {
    const expected = Buffer.from(hash.toLowerCase(), "hex");
    const equal = expected.length === presented.length && timingSafeEqual(presented, expected);
    if (equal && match === null) match = hash.toLowerCase();
  }
  return match;
}

/** The stored token hashes are not a list of sha256 hex digests. */
export class TokenHashListError extends Error {
  override readonly name = "TokenHashListError";
}

/**
 * The token hashes a stored value lists (an SSM parameter): sha256 hex digests, each bare or
 * `sha256:<hex>`, separated by commas or new lines, so a new token can be added before the old
 * one is removed. Throws `TokenHashListError` naming the entry (by position, never its value)
 * when one is not a digest, or when none is listed: a list with a typo accepts nothing.
 */
export function parseTokenHashes(text: string): string[] {
  const entries = text
    .split(/[,\n\r]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw new TokenHashListError("no token hash is listed");
  return entries.map((entry, index) => {
    const hex = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(entry)?.[1];
    if (hex === undefined) {
      throw new TokenHashListError(
        `entry ${index + 1} of ${entries.length} is not a sha256 hex digest (64 hex digits, optionally after "sha256:"); it has ${entry.length} characters`,
      );
    }
    return hex.toLowerCase();
  });
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
