import ipaddr from "ipaddr.js";

/**
 * Stable ordering of IPs and CIDR prefixes for events, messages and allowlists: IPv4 before IPv6,
 * then numerically by address, then by prefix length (a bare IP counts as a host prefix).
 */
export function compareAddresses(a: string, b: string): number {
  const left = addressKey(a);
  const right = addressKey(b);
  if (left.family !== right.family) return left.family - right.family;
  for (let i = 0; i < left.bytes.length; i++) {
    const diff = (left.bytes[i] ?? 0) - (right.bytes[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Deduplicated and sorted with `compareAddresses`. Each address is parsed once into a string key
 * that sorts as `compareAddresses` does, and the sort compares keys: an allowlist of a feed group
 * sorts thousands of prefixes per endpoint, and a key lookup per comparison was most of
 * `buildAllowlists` (0.6 of 1.5 s in a steady 10,000-host run).
 */
export function sortAddresses(addresses: Iterable<string>): string[] {
  const keyed = [...new Set(addresses)].map((text) => ({ text, key: sortKey(text) }));
  keyed.sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0,
  );
  return keyed.map((entry) => entry.text);
}

/**
 * Two lists sorted as `sortAddresses` sorts them, merged into one in the same order, each text
 * once: what `sortAddresses` of both gives, in one pass. A feed endpoint's entry is its
 * relevance's published prefixes (hundreds, sorted once per snapshot) with a few IPs beside.
 */
export function mergeSortedAddresses(a: readonly string[], b: readonly string[]): string[] {
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    const order = compareKeyed(x, y);
    if (order <= 0) i++;
    if (order >= 0) j++;
    merged.push(order <= 0 ? x : y);
  }
  for (; i < a.length; i++) merged.push(a[i] as string);
  for (; j < b.length; j++) merged.push(b[j] as string);
  return merged;
}

/**
 * The union of lists sorted as `sortAddresses` sorts them, in that order: each distinct list
 * (by identity) once, the longest merged with the others sorted together. A feed group's
 * endpoints mostly share one list of published prefixes: 36 endpoints of ~500 each were
 * 18,000 addresses to sort for a union of ~500.
 */
export function unionOfSortedAddresses(lists: readonly (readonly string[])[]): string[] {
  const [longest, ...others] = [...new Set(lists)].sort((a, b) => b.length - a.length);
  if (longest === undefined) return [];
  if (others.length === 0) return [...longest];
  return mergeSortedAddresses(longest, sortAddresses(others.flat()));
}

/** `sortAddresses`' order of two texts: by sort key, then by text (0: the same text). */
function compareKeyed(x: string, y: string): number {
  if (x === y) return 0;
  const kx = sortKey(x);
  const ky = sortKey(y);
  return kx < ky ? -1 : kx > ky ? 1 : x < y ? -1 : 1;
}

/**
 * `addressKey` as one string in `compareAddresses`' order: the family, the bytes as fixed-width
 * hex, the prefix length as three digits; a text that is no address sorts after every address.
 */
function sortKey(text: string): string {
  const cached = sortKeys.get(text);
  if (cached !== undefined) return cached;
  const key = addressKey(text);
  let sortable = "7";
  if (key.bytes.length <= 16) {
    sortable = `${key.family}`;
    for (const byte of key.bytes) sortable += byte.toString(16).padStart(2, "0");
    sortable += `/${`${key.length}`.padStart(3, "0")}`;
  }
  if (sortKeys.size > 100_000) sortKeys.clear();
  sortKeys.set(text, sortable);
  return sortable;
}

/** The sort keys met so far: a feed group's thousands of prefixes recur in every allowlist. */
const sortKeys = new Map<string, string>();

interface AddressKey {
  family: 4 | 6;
  bytes: number[];
  length: number;
}

const keys = new Map<string, AddressKey>();

function addressKey(text: string): AddressKey {
  const cached = keys.get(text);
  if (cached !== undefined) return cached;
  const [address = "", length] = text.split("/");
  let key: AddressKey;
  try {
    const parsed = ipaddr.parse(address);
    const family = parsed.kind() === "ipv4" ? 4 : 6;
    key = {
      family,
      bytes: parsed.toByteArray(),
      length: length === undefined ? (family === 4 ? 32 : 128) : Number(length),
    };
  } catch {
    // Not an address: sorts after every address, by text (never thrown: ordering is total).
    key = { family: 6, bytes: Array(17).fill(256), length: 0 };
  }
  if (keys.size > 100_000) keys.clear();
  keys.set(text, key);
  return key;
}

/** Whether `ip` lies inside `cidr` (same family; a bare IP is a host prefix). */
export function cidrContains(cidr: string, ip: string): boolean {
  try {
    const address = ipaddr.parse(ip);
    const range = cidr.includes("/")
      ? ipaddr.parseCIDR(cidr)
      : ([ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === "ipv4" ? 32 : 128] as const);
    if (address.kind() !== range[0].kind()) return false;
    return address.match(range as [ipaddr.IPv4 | ipaddr.IPv6, number]);
  } catch {
    return false;
  }
}

export function addressFamily(text: string): 4 | 6 {
  return addressKey(text).family;
}
