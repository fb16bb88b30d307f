import type { FeedDiff, FeedPrefix } from "#shared/domain/feed";

/** Raw changes between two snapshots of one feed, before flap damping. */
export interface PrefixChanges {
  added: FeedPrefix[];
  removed: FeedPrefix[];
}

/**
 * Added and removed prefixes between two snapshots, keyed on (prefix, service, region,
 * network_border_group) with IPv4 and IPv6 apart: the same prefix moving from one service or
 * border group to another is one removal and one addition. Output is sorted (see `compareFeedPrefixes`).
 */
export function diffFeedPrefixes(
  previous: readonly FeedPrefix[],
  next: readonly FeedPrefix[],
): PrefixChanges {
  // Indexed by the prefix text (already a flat string from JSON.parse) rather than by a
  // concatenated key: no string is built per entry, which keeps a diff of ~17k entries in ms.
  const before = indexByPrefix(previous);
  const after = indexByPrefix(next);
  const added = next.filter((prefix) => !containsSame(before.get(prefix.prefix), prefix));
  const removed = previous.filter((prefix) => !containsSame(after.get(prefix.prefix), prefix));
  return { added: added.sort(compareFeedPrefixes), removed: removed.sort(compareFeedPrefixes) };
}

function indexByPrefix(prefixes: readonly FeedPrefix[]): Map<string, FeedPrefix[]> {
  const index = new Map<string, FeedPrefix[]>();
  for (const prefix of prefixes) {
    const list = index.get(prefix.prefix);
    if (list === undefined) index.set(prefix.prefix, [prefix]);
    else list.push(prefix);
  }
  return index;
}

/** The prefixes without repeats of the same (prefix, service, region, border group), in order. */
export function uniqueFeedPrefixes(prefixes: readonly FeedPrefix[]): FeedPrefix[] {
  const index = new Map<string, FeedPrefix[]>();
  const unique: FeedPrefix[] = [];
  for (const prefix of prefixes) {
    const list = index.get(prefix.prefix);
    if (list === undefined) index.set(prefix.prefix, [prefix]);
    else if (containsSame(list, prefix)) continue;
    else list.push(prefix);
    unique.push(prefix);
  }
  return unique;
}

/** Same (prefix, service, region, network_border_group) and family; the prefix text matched. */
function containsSame(candidates: FeedPrefix[] | undefined, prefix: FeedPrefix): boolean {
  if (candidates === undefined) return false;
  for (const candidate of candidates) {
    if (
      candidate.service === prefix.service &&
      candidate.region === prefix.region &&
      candidate.networkBorderGroup === prefix.networkBorderGroup &&
      candidate.family === prefix.family
    ) {
      return true;
    }
  }
  return false;
}

/** Stable order: family, then prefix, service, region, border group. */
export function compareFeedPrefixes(a: FeedPrefix, b: FeedPrefix): number {
  return (
    a.family - b.family ||
    compareStrings(a.prefix, b.prefix) ||
    compareStrings(a.service, b.service) ||
    compareStrings(a.region, b.region) ||
    compareStrings(a.networkBorderGroup, b.networkBorderGroup)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Added and removed prefixes of one (service, region, family). */
export interface FeedChangeGroup {
  service: string;
  region: string;
  family: 4 | 6;
  added: string[];
  removed: string[];
}

/** A diff grouped per service and region (IPv4 and IPv6 apart), in a stable order. */
export function summariseFeedDiff(diff: Pick<FeedDiff, "added" | "removed">): FeedChangeGroup[] {
  const groups = new Map<string, FeedChangeGroup>();
  const group = (prefix: FeedPrefix): FeedChangeGroup => {
    const key = `${prefix.service}|${prefix.region}|${prefix.family}`;
    let found = groups.get(key);
    if (found === undefined) {
      found = {
        service: prefix.service,
        region: prefix.region,
        family: prefix.family,
        added: [],
        removed: [],
      };
      groups.set(key, found);
    }
    return found;
  };
  for (const prefix of diff.added) group(prefix).added.push(prefix.prefix);
  for (const prefix of diff.removed) group(prefix).removed.push(prefix.prefix);
  return [...groups.values()].sort(
    (a, b) =>
      compareStrings(a.service, b.service) ||
      compareStrings(a.region, b.region) ||
      a.family - b.family,
  );
}
