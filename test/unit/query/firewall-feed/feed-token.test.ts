import { describe, expect, it } from "vitest";
import {
  feedTokenMatches,
  hashFeedToken,
  matchingTokenHash,
  parseTokenHashes,
  presentedToken,
  TokenHashListError,
} from "#shared/query/firewall-feed/feed-token";

/** The token a poller presents, its hash as stored, and the ways a header carries it. */
const TOKEN = "edl-token-5b0c1f0e6a2d4c83";
const HASH = hashFeedToken(TOKEN);
const OTHER = hashFeedToken("a-token-that-was-rotated-out");
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

describe("the presented token", () => {
  it("is a bearer token, or basic's password whatever the user name", () => {
    expect(presentedToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(presentedToken(`bearer   ${TOKEN} `)).toBe(TOKEN);
    expect(presentedToken(basic(`panos:${TOKEN}`))).toBe(TOKEN);
    expect(presentedToken(basic(`:${TOKEN}`))).toBe(TOKEN);
    // A password may hold a colon: only the first one separates the user.
    expect(presentedToken(basic("fortigate:pass:word"))).toBe("pass:word");
  });

  it("is none without a header, with another scheme, or with basic credentials that are not base64 of user:password", () => {
    expect(presentedToken(undefined)).toBeNull();
    expect(presentedToken("")).toBeNull();
    expect(presentedToken(`Digest ${TOKEN}`)).toBeNull();
    expect(presentedToken("Bearer")).toBeNull();
    expect(presentedToken(`Bearer ${TOKEN} extra`)).toBeNull();
    expect(presentedToken("Basic !!!not-base64!!!")).toBeNull();
    expect(presentedToken("Basic abc")).toBeNull();
    expect(presentedToken(basic("no-colon-here"))).toBeNull();
  });
});

describe("matching a token against the stored hashes", () => {
  it("names the hash the token has, among several (a rotation in progress)", () => {
    expect(matchingTokenHash(`Bearer ${TOKEN}`, [OTHER, HASH])).toBe(HASH);
    expect(matchingTokenHash(basic(`x:${TOKEN}`), [HASH.toUpperCase()])).toBe(HASH);
    expect(feedTokenMatches(`Bearer ${TOKEN}`, HASH)).toBe(true);
  });

  it("matches nothing for a wrong, empty or missing token, or no hash at all", () => {
    expect(matchingTokenHash("Bearer wrong-token", [OTHER, HASH])).toBeNull();
    expect(matchingTokenHash(basic("user:"), [hashFeedToken("")])).toBeNull();
    expect(matchingTokenHash(undefined, [HASH])).toBeNull();
    expect(matchingTokenHash(`Bearer ${TOKEN}`, [])).toBeNull();
    // A stored value of the wrong length is never equal (timingSafeEqual would throw).
    expect(matchingTokenHash(`Bearer ${TOKEN}`, [HASH.slice(0, 32)])).toBeNull();
  });
});

describe("the stored hash list", () => {
  it("lists hashes separated by commas or new lines, bare or sha256:-prefixed, lower-cased", () => {
    expect(parseTokenHashes(HASH)).toEqual([HASH]);
    expect(parseTokenHashes(` ${HASH.toUpperCase()} , sha256:${OTHER}\n`)).toEqual([HASH, OTHER]);
    expect(parseTokenHashes(`${HASH}\r\n\r\n${OTHER}\n`)).toEqual([HASH, OTHER]);
  });

  it("is refused whole when an entry is not a digest, naming its position but not its value", () => {
    expect(() => parseTokenHashes(`${HASH},${TOKEN}`)).toThrow(TokenHashListError);
    expect(() => parseTokenHashes(`${HASH},${TOKEN}`)).toThrow(
      `entry 2 of 2 is not a sha256 hex digest (64 hex digits, optionally after "sha256:"); it has ${TOKEN.length} characters`,
    );
    expect(() => parseTokenHashes(`${HASH},${TOKEN}`)).not.toThrow(TOKEN);
    expect(() => parseTokenHashes(" \n , ")).toThrow("no token hash is listed");
  });
});
