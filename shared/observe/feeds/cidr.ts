import ipaddr from "ipaddr.js";

/** A CIDR as network bytes (4 or 16) and a prefix length. */
export interface ParsedCidr {
  family: 4 | 6;
  bytes: number[];
  length: number;
}

export type CidrCheck = { ok: true; cidr: ParsedCidr } | { ok: false; problem: string };

/**
 * Parses a published prefix of the given family with ipaddr.js and checks that it is a network
 * address (host bits zero). IPv4 must be in canonical dotted-decimal form (no leading zeros, no
 * hex or long forms), so the same network always has the same key in a diff.
 */
export function parseFeedCidr(text: string, family: 4 | 6): CidrCheck {
  let bytes: number[];
  let length: number;
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
      bytes = address.toByteArray();
      length = bits;
    }
  } catch {
    return { ok: false, problem: `is not a valid IPv${family} CIDR` };
  }
  if (!hostBitsZero(bytes, length)) {
    return { ok: false, problem: `has host bits set beyond /${length}` };
  }
  return { ok: true, cidr: { family, bytes, length } };
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
export function addressBytes(ip: string): { family: 4 | 6; bytes: number[] } | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) {
    return { family: 4, bytes: ipaddr.IPv4.parse(ip).toByteArray() };
  }
  if (!ipaddr.IPv6.isValid(ip)) return null;
  const address = ipaddr.IPv6.parse(ip);
  if (address.isIPv4MappedAddress()) {
    return { family: 4, bytes: address.toIPv4Address().toByteArray() };
  }
  return { family: 6, bytes: address.toByteArray() };
}
