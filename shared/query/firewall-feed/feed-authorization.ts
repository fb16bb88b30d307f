import { matchingTokenHash, parseTokenHashes, presentedToken } from "./feed-token";

/**
 * Whether a firewall feed request may be answered, for the EDL Lambda's authorizer: the request's
 * Authorization header against the token hashes kept by the operator (an SSM SecureString). It
 * fails closed: a store that cannot be read, or a stored value that is not a hash list, denies
 * every request (and says why in `reason`) instead of throwing.
 *
 * 1. Take the presented token (Bearer, or Basic's password); none: denied without a read.
 * 2. Read the stored hash list, unless one read less than `cacheMs` ago is held.
 * 3. Parse it (commas or new lines between hashes: a token is rotated by listing both).
 * 4. Hash the token and compare with each, in constant time.
 */
export interface FeedAuthorizationDeps {
  /** The stored hash list as text (the SSM parameter's decrypted value). */
  readTokenHashes: () => Promise<string>;
  /** How long a read hash list is used before it is read again. */
  cacheMs: number;
  /** Milliseconds, e.g. `Date.now`. */
  now: () => number;
}

export type FeedAuthorization =
  | {
      allowed: true /** The first 12 hex digits of the matching hash: which token, not what. */;
      tokenHashPrefix: string;
    }
  | { allowed: false; reason: FeedDenial; detail?: string };

export type FeedDenial =
  /** No Authorization header, or not `Bearer <token>` / `Basic <base64 user:token>`. */
  | "no-token"
  /** A token that none of the hashes matches. */
  | "wrong-token"
  /** The hash list could not be read or is malformed: nobody is let in. */
  | "hashes-unavailable";

export type FeedAuthorizer = (authorization: string | undefined) => Promise<FeedAuthorization>;

export function createFeedAuthorizer(deps: FeedAuthorizationDeps): FeedAuthorizer {
  let held: { hashes: string[]; readAt: number } | null = null;
  let reading: Promise<string[]> | null = null;

  /** The hash list, read at most once at a time; a failed read is not kept. */
  async function hashes(): Promise<string[]> {
    const now = deps.now();
    if (held !== null && now - held.readAt < deps.cacheMs) return held.hashes;
    reading ??= deps
      .readTokenHashes()
      .then((text) => {
        const parsed = parseTokenHashes(text);
        held = { hashes: parsed, readAt: now };
        return parsed;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  }

  return async (authorization) => {
    const token = presentedToken(authorization);
    if (token === null || token === "") return { allowed: false, reason: "no-token" };
    let list: string[];
    try {
      list = await hashes();
    } catch (error) {
      return { allowed: false, reason: "hashes-unavailable", detail: describe(error) };
    }
    const match = matchingTokenHash(authorization, list);
    if (match === null) return { allowed: false, reason: "wrong-token" };
    return { allowed: true, tokenHashPrefix: match.slice(0, 12) };
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
