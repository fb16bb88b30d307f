import ipaddr from "ipaddr.js";
import { compareAddresses } from "#shared/domain/addresses";

/**
 * CIDR aggregation: the fewest prefixes that cover exactly the addresses of the input (IPs and
 * CIDR prefixes of both families): contained prefixes are dropped, adjacent ones merged
 * (`192.0.2.0/25` + `192.0.2.128/25` = `192.0.2.0/24`). Pure; nothing is widened, so an
 * aggregated list allows the same addresses as the list it came from. A host prefix is written
 * as a bare IP, as the allowlists write IPs. Each family is aggregated on its own.
 */
export function aggregateCidrs(addresses: Iterable<string>): string[] {
  const byFamily: Record<4 | 6, AddressRange[]> = { 4: [], 6: [] };
  for (const address of addresses) {
    const range = addressRange(address);
    byFamily[range.family].push(range);
  }
  return [...cidrsOf(mergeRanges(byFamily[4]), 4), ...cidrsOf(mergeRanges(byFamily[6]), 6)].sort(
    compareAddresses,
  );
}

/** An inclusive range of addresses of one family, as integers. */
export interface AddressRange {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

/** The range an IP or CIDR prefix covers; throws naming the value when it is neither. */
export function addressRange(address: string): AddressRange {
  const [ip = "", length] = address.split("/");
  if (!ipaddr.isValid(ip) || (length !== undefined && !/^\d{1,3}$/.test(length))) {
    throw new Error(`${JSON.stringify(address)} is not an IP address or CIDR prefix`);
  }
  const parsed = ipaddr.parse(ip);
  const family = parsed.kind() === "ipv4" ? 4 : 6;
  const bits = length === undefined ? BITS[family] : Number(length);
  if (bits > BITS[family]) {
    throw new Error(`${JSON.stringify(address)} has a prefix length over ${BITS[family]}`);
  }
  const hostBits = BigInt(BITS[family] - bits);
  const first = (toBigInt(parsed.toByteArray()) >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

function toBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Sorted, with overlapping and adjacent ranges merged. */
function mergeRanges(ranges: AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) =>
    a.first < b.first ? -1 : a.first > b.first ? 1 : a.last < b.last ? -1 : 1,
  );
  const merged: AddressRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.first <= last.last + 1n) {
      if (range.last > last.last) last.last = range.last;
    } else merged.push({ ...range });
  }
  return merged;
}

/** The fewest prefixes covering each range exactly: the largest aligned block at each step. */
function cidrsOf(ranges: AddressRange[], family: 4 | 6): string[] {
  const total = BITS[family];
  const cidrs: string[] = [];
  for (const { first, last } of ranges) {
    let start = first;
    while (start <= last) {
      let hostBits = 0;
      while (
        hostBits < total &&
        (start & ((1n << BigInt(hostBits + 1)) - 1n)) === 0n &&
        start + (1n << BigInt(hostBits + 1)) - 1n <= last
      ) {
        hostBits++;
      }
      cidrs.push(formatPrefix(start, total - hostBits, family));
      start += 1n << BigInt(hostBits);
    }
  }
  return cidrs;
}

function formatPrefix(value: bigint, bits: number, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let i = BITS[family] / 8 - 1; i >= 0; i--)
    bytes.push(Number((value >> BigInt(i * 8)) & 255n));
  const address = ipaddr.fromByteArray(bytes).toString();
  return bits === BITS[family] ? address : `${address}/${bits}`;
}
