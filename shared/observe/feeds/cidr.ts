import ipaddr from "ipaddr.js";

/** A CIDR as network bytes (4 or 16) and a prefix length. */
export interface ParsedCidr {
  readonly family: 4 | 6;
  /** The CIDR in normal form: the IPv4 text as given, IPv6 compressed and lower case (RFC 5952). */
  readonly text: string;
  readonly bytes: readonly number[];
  readonly length: number;
}

export type CidrCheck = { ok: true; cidr: ParsedCidr } | { ok: false; problem: string };

/**
 * Parses a published prefix of the given family with ipaddr.js and checks that it is a network
 * address (host bits zero). IPv4 must be in canonical dotted-decimal form (no leading zeros, no
 * hex or long forms), so the same network always has the same key in a diff.
 */
export function parseFeedCidr(text: string, family: 4 | 6): CidrCheck {
  const cache = family === 4 ? validV4 : validV6;
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const check = checkCidr(text, family);
  if (check.ok) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, check);
  }
  return check;
}

/**
 * Valid CIDRs seen before, by family. Consecutive feed versions share almost every prefix and
 * an ingest parses two of them (the archived previous one and the new one), so validating each
 * distinct text once takes ipaddr.js out of the hot path. Bounded; a memo of a pure function.
 */
const CACHE_LIMIT = 100_000;
const validV4 = new Map<string, CidrCheck>();
const validV6 = new Map<string, CidrCheck>();

/** Forgets every validated CIDR (benchmarks measure the cold path with it). */
export function clearFeedCidrCache(): void {
  validV4.clear();
  validV6.clear();
}

function checkCidr(text: string, family: 4 | 6): CidrCheck {
  let bytes: number[];
  let length: number;
  let normal = text;
  try {
    if (family === 4) {
      const [address, bits] = ipaddr.IPv4.parseCIDR(text);
      if (`${address.toString()}/${bits}` !== text) {
        return { ok: false, problem: "is not a canonical dotted-decimal IPv4 CIDR" };
      }
      bytes = address.toByteArray();
      length = bits;
    } else {
      const [address, bits] = ipaddr.IPv6.parseCIDR(text);
      if (address.zoneId !== undefined) return { ok: false, problem: "has a zone id" };
      normal = `${address.toRFC5952String()}/${bits}`;
      bytes = address.toByteArray();
      length = bits;
    }
  } catch {
    return { ok: false, problem: `is not a valid IPv${family} CIDR` };
  }
  if (!hostBitsZero(bytes, length)) {
    return { ok: false, problem: `has host bits set beyond /${length}` };
  }
  return {
    ok: true,
    cidr: Object.freeze({ family, text: normal, bytes: Object.freeze(bytes), length }),
  };
}

function hostBitsZero(bytes: number[], length: number): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const firstBit = i * 8;
    if (firstBit + 8 <= length) continue;
    const keep = Math.max(0, length - firstBit);
    const hostMask = 0xff >> keep;
    if (((bytes[i] ?? 0) & hostMask) !== 0) return false;
  }
  return true;
}

/**
 * Bytes of an IP address for a trie lookup: dotted-decimal IPv4 or IPv6; IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`) counts as IPv4. Null when the text is not an address.
 */
export function addressBytes(ip: string): { family: 4 | 6; bytes: readonly number[] } | null {
  const v4 = dottedDecimalBytes(ip);
  if (v4 !== null) return { family: 4, bytes: v4 };
  if (!ipaddr.IPv6.isValid(ip)) return null;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) {
    return { family: 4, bytes: address.toIPv4Address().toByteArray() };
  }
  return { family: 6, bytes: address.toByteArray() };
}

/** `a.b.c.d`, each 0-255 in decimal without leading zeros (as `isValidFourPartDecimal`). */
function dottedDecimalBytes(ip: string): number[] | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}
