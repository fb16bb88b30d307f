import type { FeedDiff, FeedPrefix } from "#shared/domain/feed";
import { feedPrefixKey } from "./snapshot";

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
  const before = new Set<string>();
  for (const prefix of previous) before.add(feedPrefixKey(prefix));
  const after = new Set<string>();
  const added: FeedPrefix[] = [];
  for (const prefix of next) {
    const key = feedPrefixKey(prefix);
    after.add(key);
    if (!before.has(key)) added.push(prefix);
  }
  const removed: FeedPrefix[] = [];
  for (const prefix of previous) if (!after.has(feedPrefixKey(prefix))) removed.push(prefix);
  return { added: added.sort(compareFeedPrefixes), removed: removed.sort(compareFeedPrefixes) };
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
