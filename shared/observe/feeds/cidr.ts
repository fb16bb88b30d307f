import ipaddr from "ipaddr.js";
import { formatIpv6, hostBitsZero, parseDottedDecimal, parseHexIpv6 } from "./ip-text";

/** A CIDR as its network address in 32-bit words and a prefix length. */
export interface ParsedCidr {
  readonly family: 4 | 6;
  /** The CIDR in normal form: the IPv4 text as given, IPv6 compressed and lower case (RFC 5952). */
  readonly text: string;
  /** The network address: one unsigned 32-bit word for IPv4, four (most significant first) for IPv6. */
  readonly words: readonly number[];
  readonly length: number;
}

export type CidrCheck = { ok: true; cidr: ParsedCidr } | { ok: false; problem: string };

/**
 * Parses a published prefix of the given family and checks that it is a network address (host
 * bits zero). IPv4 must be in canonical dotted-decimal form (no leading zeros, no hex or long
 * forms), so the same network always has the same key in a diff.
 *
 * The forms feeds publish (canonical IPv4, IPv6 hex groups with one `::`, a prefix length without
 * leading zeros) are parsed by hand in one scan; any other text, and every text that fails the
 * check, goes to ipaddr.js, which decides and words the problem exactly as before.
 */
export function parseFeedCidr(text: string, family: 4 | 6): CidrCheck {
  const length = scanCidr(text, family);
  if (length < 0) return checkCidr(text, family);
  if (family === 4) {
    return { ok: true, cidr: { family, text, words: [scratch[0] as number], length } };
  }
  const words = Array.from(scratch);
  return { ok: true, cidr: { family, text: `${formatIpv6(words)}/${length}`, words, length } };
}

/**
 * The normal form of a published prefix (`parseFeedCidr(text, family).cidr.text`) without
 * building the parsed CIDR, or the problem that makes it invalid.
 */
export function feedCidrText(text: string, family: 4 | 6): string | { problem: string } {
  const length = scanCidr(text, family);
  if (length >= 0) return family === 4 ? text : `${formatIpv6(scratch)}/${length}`;
  const check = checkCidr(text, family);
  return check.ok ? check.cidr.text : { problem: check.problem };
}

const scratch = new Uint32Array(4);

/**
 * The network of a published prefix into `out` from `at` (one word for IPv4, four for IPv6) and
 * its length; -1 when the text is not a valid CIDR (`parseFeedCidr` says why).
 */
export function feedCidrNetwork(text: string, family: 4 | 6, out: Uint32Array, at: number): number {
  let length = scanCidr(text, family);
  if (length < 0) {
    const check = checkCidr(text, family);
    if (!check.ok) return -1;
    scratch.set(check.cidr.words);
    length = check.cidr.length;
  }
  for (let w = 0; w < (family === 4 ? 1 : 4); w++) out[at + w] = scratch[w] as number;
  return length;
}

/**
 * The prefix length of a valid CIDR in a form parsed by hand, its network address in `scratch`;
 * -1 for ipaddr.js to decide (another form, or invalid).
 */
function scanCidr(text: string, family: 4 | 6): number {
  const slash = text.indexOf("/");
  if (slash <= 0) return -1;
  const length = canonicalLength(text, slash + 1, family === 4 ? 32 : 128);
  if (length < 0) return -1;
  if (family === 4) {
    const value = parseDottedDecimal(text, 0, slash);
    if (value < 0) return -1;
    scratch[0] = value;
    return hostBitsZero(scratch, 1, length) ? length : -1;
  }
  if (!parseHexIpv6(text, 0, slash, scratch)) return -1;
  return hostBitsZero(scratch, 4, length) ? length : -1;
}

/** A prefix length from `start` to the end: decimal, no leading zero, at most `max`; else -1. */
function canonicalLength(text: string, start: number, max: number): number {
  const digits = text.length - start;
  if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
  let length = 0;
  for (let i = start; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    length = length * 10 + digit;
  }
  return length <= max ? length : -1;
}

/** The CIDR checked with ipaddr.js: every form it accepts, and the problem of a bad one. */
function checkCidr(text: string, family: 4 | 6): CidrCheck {
  let words: number[];
  let length: number;
  let normal = text;
  try {
    if (family === 4) {
      const [address, bits] = ipaddr.IPv4.parseCIDR(text);
      if (`${address.toString()}/${bits}` !== text) {
        return { ok: false, problem: "is not a canonical dotted-decimal IPv4 CIDR" };
      }
      const [a, b, c, d] = address.octets as [number, number, number, number];
      words = [((a << 24) | (b << 16) | (c << 8) | d) >>> 0];
      length = bits;
    } else {
      const [address, bits] = ipaddr.IPv6.parseCIDR(text);
      if (address.zoneId !== undefined) return { ok: false, problem: "has a zone id" };
      normal = `${address.toRFC5952String()}/${bits}`;
      words = wordsOfParts(address.parts);
      length = bits;
    }
  } catch {
    return { ok: false, problem: `is not a valid IPv${family} CIDR` };
  }
  if (!hostBitsZero(words, words.length, length)) {
    return { ok: false, problem: `has host bits set beyond /${length}` };
  }
  return { ok: true, cidr: { family, text: normal, words, length } };
}

/** Eight 16-bit IPv6 groups as four 32-bit words. */
function wordsOfParts(parts: readonly number[]): number[] {
  const words: number[] = [];
  for (let w = 0; w < 4; w++) {
    words.push((((parts[2 * w] ?? 0) << 16) | (parts[2 * w + 1] ?? 0)) >>> 0);
  }
  return words;
}

/**
 * Parses an IP address for a trie lookup into `out` (at least four words) and returns its
 * family, or 0 when the text is not an address: dotted-decimal IPv4 (canonical: no leading
 * zeros) into `out[0]`, IPv6 into `out[0..3]`; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as
 * IPv4. Common forms are parsed by hand without allocating; the rest (an embedded IPv4 part, a
 * zone id) by ipaddr.js.
 */
export function parseAddress(ip: string, out: Uint32Array): 0 | 4 | 6 {
  const v4 = parseDottedDecimal(ip, 0, ip.length);
  if (v4 >= 0) {
    out[0] = v4;
    return 4;
  }
  if (ip.indexOf(":") < 0) return 0;
  if (!parseHexIpv6(ip, 0, ip.length, out)) {
    if (!ipaddr.IPv6.isValid(ip)) return 0;
    const words = wordsOfParts(ipaddr.IPv6.parse(ip).parts);
    for (let w = 0; w < 4; w++) out[w] = words[w] as number;
  }
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3] as number;
    return 4;
  }
  return 6;
}
