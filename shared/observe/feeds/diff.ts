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
  // One index, of the previous entries by their prefix text (already a flat string from
  // JSON.parse, so no key is built per entry): each next entry marks the previous ones it
  // matches, or is added; the previous entries no next one marked are removed.
  const before = indexByPrefix(previous);
  const kept = new Uint8Array(previous.length);
  const added: FeedPrefix[] = [];
  for (const prefix of next) {
    let found = false;
    const candidates = before.get(prefix.prefix);
    if (candidates !== undefined) {
      for (const at of candidates) {
        if (samePrefix(previous[at] as FeedPrefix, prefix)) {
          kept[at] = 1;
          found = true;
        }
      }
    }
    if (!found) added.push(prefix);
  }
  const removed = previous.filter((_, at) => kept[at] === 0);
  return { added: added.sort(compareFeedPrefixes), removed: removed.sort(compareFeedPrefixes) };
}

/** Positions of the entries, by prefix text. */
function indexByPrefix(prefixes: readonly FeedPrefix[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let at = 0; at < prefixes.length; at++) {
    const text = (prefixes[at] as FeedPrefix).prefix;
    const list = index.get(text);
    if (list === undefined) index.set(text, [at]);
    else list.push(at);
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
  for (const candidate of candidates) if (samePrefix(candidate, prefix)) return true;
  return false;
}

/** Same service, region, border group and family (the caller matched the prefix text). */
function samePrefix(a: FeedPrefix, b: FeedPrefix): boolean {
  return (
    a.service === b.service &&
    a.region === b.region &&
    a.networkBorderGroup === b.networkBorderGroup &&
    a.family === b.family
  );
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
