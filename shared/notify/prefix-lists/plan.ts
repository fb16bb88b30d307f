import ipaddr from "ipaddr.js";
import { compareAddresses } from "#shared/domain/addresses";

/**
 * The pure core of the prefix-list subscriber: what to add to and remove from one AWS managed
 * prefix list so that it lists exactly a group's allowlist entries of its address family, in
 * modifications AWS accepts (at most 100 adds and 100 removes a call, never more entries than
 * the list's MaxEntries at any moment), growing the list first when that is allowed.
 */

export type PrefixListFamily = "IPv4" | "IPv6";

/** AWS's limit on AddEntries and RemoveEntries in one ModifyManagedPrefixList call. */
export const MODIFY_BATCH_MAX = 100;

/** AWS's quota on a customer-managed prefix list's MaxEntries (the default, not raisable). */
export const PREFIX_LIST_ENTRIES_QUOTA = 1000;

export interface PrefixListLimits {
  /** Grow MaxEntries (a separate call) when the target does not fit. */
  allowResize: boolean;
  /** The largest MaxEntries to grow to (at most PREFIX_LIST_ENTRIES_QUOTA). */
  maxEntriesCeiling: number;
}

export interface PrefixListBatch {
  add: string[];
  remove: string[];
}

export type PrefixListPlan =
  | { kind: "unchanged"; entries: number }
  | {
      kind: "apply";
      add: string[];
      remove: string[];
      /** Grow MaxEntries to this first (a call of its own: AWS refuses size and entries at once). */
      resizeTo?: number;
      /** In order: removals first, each batch leaving the list within MaxEntries. */
      batches: PrefixListBatch[];
    }
  | {
      kind: "refused";
      add: string[];
      remove: string[];
      targetEntries: number;
      maxEntries: number;
      reason: string;
    };

/**
 * `text` (an IP or CIDR) as a prefix-list CIDR of `family`: a bare IP as a host prefix, the
 * network address canonical (RFC 5952 for IPv6, host bits cleared). `undefined` when it is not
 * an address of that family (a domain entry, or the other family).
 */
export function prefixListCidr(text: string, family: PrefixListFamily): string | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let length: number;
  try {
    if (text.includes("/")) [address, length] = ipaddr.parseCIDR(text);
    else {
      address = ipaddr.parse(text);
      length = address.kind() === "ipv4" ? 32 : 128;
    }
  } catch {
    return undefined;
  }
  if (address.kind() !== (family === "IPv4" ? "ipv4" : "ipv6")) return undefined;
  const network =
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${length}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${length}`);
  return `${network.toString()}/${length}`;
}

/** The distinct CIDRs of `family` among `entries`, sorted; other entries are left out. */
export function familyCidrs(entries: Iterable<string>, family: PrefixListFamily): string[] {
  const cidrs = new Set<string>();
  for (const entry of entries) {
    const cidr = prefixListCidr(entry, family);
    if (cidr !== undefined) cidrs.add(cidr);
  }
  return [...cidrs].sort(compareAddresses);
}

/**
 * The plan that turns `current` (the list's CIDRs) into `target` (the allowlist's CIDRs of the
 * list's family), within `maxEntries` or the limits' ceiling.
 *
 * 1. Compare the two sets (canonical CIDRs): what to add, what to remove.
 * 2. Nothing: unchanged.
 * 3. More target entries than MaxEntries: grow to exactly the target count when resizing is
 *    allowed and within the ceiling, else refuse (nothing is applied, the reason says why).
 * 4. Batches of at most 100 removes and 100 adds, removes first, so the entry count never
 *    exceeds MaxEntries between two calls.
 */
export function planPrefixList(
  current: readonly string[],
  target: readonly string[],
  maxEntries: number,
  limits: PrefixListLimits,
): PrefixListPlan {
  const have = new Set(current);
  const want = new Set(target);
  const add = [...want].filter((cidr) => !have.has(cidr)).sort(compareAddresses);
  const remove = [...have].filter((cidr) => !want.has(cidr)).sort(compareAddresses);
  if (add.length === 0 && remove.length === 0) return { kind: "unchanged", entries: have.size };
  let capacity = maxEntries;
  let resizeTo: number | undefined;
  if (want.size > maxEntries) {
    const ceiling = Math.min(limits.maxEntriesCeiling, PREFIX_LIST_ENTRIES_QUOTA);
    if (!limits.allowResize || want.size > ceiling) {
      const reason = limits.allowResize
        ? `${want.size} entries exceed the largest size allowed (${ceiling})`
        : `${want.size} entries exceed MaxEntries ${maxEntries} and resizing is not allowed`;
      return { kind: "refused", add, remove, targetEntries: want.size, maxEntries, reason };
    }
    resizeTo = want.size;
    capacity = want.size;
  }
  return {
    kind: "apply",
    add,
    remove,
    ...(resizeTo === undefined ? {} : { resizeTo }),
    batches: batchesWithin(have.size, add, remove, capacity),
  };
}

function batchesWithin(
  count: number,
  add: readonly string[],
  remove: readonly string[],
  capacity: number,
): PrefixListBatch[] {
  const batches: PrefixListBatch[] = [];
  let entries = count;
  let removed = 0;
  let added = 0;
  while (removed < remove.length || added < add.length) {
    const removing = remove.slice(removed, removed + MODIFY_BATCH_MAX);
    removed += removing.length;
    entries -= removing.length;
    const room = Math.max(0, Math.min(MODIFY_BATCH_MAX, capacity - entries));
    const adding = add.slice(added, added + room);
    added += adding.length;
    entries += adding.length;
    // Unreachable while the target fits the capacity; a guard against a list already overfull.
    if (removing.length === 0 && adding.length === 0) break;
    batches.push({ add: adding, remove: removing });
  }
  return batches;
}
