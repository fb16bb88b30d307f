import type { FeedDiff, FeedPrefix, RangeMatcher } from "#shared/domain/feed";
import { GLOBAL_REGION } from "./snapshot";

/**
 * Which parts of a feed matter to the catalogue: services by exact name (`CLOUDFRONT`, `AMAZON`,
 * `EC2`, `CLOUDFRONT_GLOBAL`, ...) and, optionally, regions. A region filter is exact: `GLOBAL`
 * prefixes pass it only when it lists `GLOBAL` (ip-ranges.json files CloudFront, Global
 * Accelerator and EC2 anycast ranges under AMAZON/EC2 `GLOBAL`; a host that resolves in one
 * region relies on none of them). Without a region filter every region passes.
 */
export interface FeedRelevance {
  services: string[];
  /**
   * Every service of the feed, whatever `services` lists: the whole CloudFront list, including a
   * list under a top-level key it did not have before (read under that key's name).
   */
  everyService?: boolean;
  /** Omitted: every region. */
  regions?: string[];
}

export function isRelevantPrefix(prefix: FeedPrefix, relevance: FeedRelevance): boolean {
  if (relevance.everyService !== true && !relevance.services.includes(prefix.service)) {
    return false;
  }
  return relevance.regions === undefined || relevance.regions.includes(prefix.region);
}

/**
 * The part of a diff that should drive notifications; the snapshot itself is archived whole.
 * Pure; returns a new diff with the same `from`/`to`.
 */
export function relevantPrefixChanges(diff: FeedDiff, relevance: FeedRelevance): FeedDiff {
  const keep = (prefix: FeedPrefix) => isRelevantPrefix(prefix, relevance);
  return {
    ...diff,
    added: diff.added.filter(keep),
    removed: diff.removed.filter(keep),
    ...(diff.pendingRemovals !== undefined
      ? { pendingRemovals: diff.pendingRemovals.filter(keep) }
      : {}),
  };
}

/**
 * The regions (other than `GLOBAL`) of the published prefixes that contain the given IPs, e.g.
 * the regions where catalogued hosts resolve, to build a `FeedRelevance`. Sorted, unique.
 */
export function regionsContaining(
  matcher: RangeMatcher,
  ips: Iterable<string>,
  services?: readonly string[],
): string[] {
  const regions = new Set<string>();
  for (const ip of ips) {
    for (const prefix of matcher.contains(ip)) {
      if (services !== undefined && !services.includes(prefix.service)) continue;
      if (prefix.region !== GLOBAL_REGION) regions.add(prefix.region);
    }
  }
  return [...regions].sort();
}
