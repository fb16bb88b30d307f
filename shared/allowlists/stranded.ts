import type { Endpoint } from "#shared/catalogue/schema";
import { cidrContains, sortAddresses } from "#shared/domain/addresses";
import { compareText } from "#shared/domain/canonical";
import type {
  FeedDiff,
  FeedId,
  FeedIngestResult,
  FeedPrefix,
  RangeMatcher,
} from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import { feedPrefixKey } from "#shared/observe/feeds/snapshot";
import { judgingFeed, publishedRangesOf } from "./feed-relevance";

/**
 * A feed change of this run that withdrew prefixes: the feed's matcher as it was before (the
 * current one plus the withdrawn prefixes), and the snapshot pair that identifies the change.
 */
export interface FeedWithdrawal {
  before: RangeMatcher;
  from: string;
  to: string;
}

/** The feeds whose diff in this run withdrew prefixes (a first snapshot is a baseline). Pure. */
export function feedWithdrawalsOf(feeds: {
  results: readonly FeedIngestResult[];
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
}): Map<FeedId, FeedWithdrawal> {
  const withdrawals = new Map<FeedId, FeedWithdrawal>();
  for (const result of feeds.results) {
    const diff = result.diff;
    if (result.status === "rejected" || diff === undefined || diff.from === null) continue;
    if (diff.removed.length === 0) continue;
    const before = withWithdrawn(feeds.matchers.get(result.feed), diff);
    if (before === undefined) continue;
    withdrawals.set(result.feed, { before, from: diff.from.sha256, to: diff.to.sha256 });
  }
  return withdrawals;
}

/**
 * The current matcher that also finds the prefixes this diff withdrew: relevance is judged on
 * what the hosts relied on, and the range a host's IP was published in is gone from the current
 * snapshot once its removal counts.
 */
export function withWithdrawn(
  matcher: RangeMatcher | undefined,
  diff: FeedDiff,
): RangeMatcher | undefined {
  if (diff.removed.length === 0) return matcher;
  return {
    feed: diff.feed,
    meta: matcher?.meta ?? diff.to,
    contains: (ip) => [
      ...(matcher?.contains(ip) ?? []),
      ...diff.removed.filter((prefix) => cidrContains(prefix.prefix, ip)),
    ],
  };
}

export interface StrandedIps {
  /** Sorted. */
  ips: string[];
  /** The withdrawn prefixes that contained them, sorted. */
  withdrawn: FeedPrefix[];
  /** The feeds whose withdrawals stranded them, sorted. */
  feeds: FeedId[];
}

/**
 * The IPs of an endpoint judged against published ranges (`ListingPolicy.publishedRanges`: the
 * caller asks its policy) that this run's feed withdrawals stranded: active and standing (not
 * entering now), not documented, inside a prefix the change withdrew and inside no published
 * range now. The one rule for both the standing `ip-outside-published-ranges` verdict and the
 * allowlist, which keeps listing them explicitly. An IP that enters outside every range is never
 * stranded: it is the hijack signal, not an address the host relied on. Pure.
 */
export function strandedIps(
  endpoint: Pick<Endpoint, "feed">,
  observation: Pick<HostObservation, "active" | "entered"> | undefined,
  matchers: ReadonlyMap<FeedId, RangeMatcher>,
  withdrawals: ReadonlyMap<FeedId, FeedWithdrawal>,
  documented: ReadonlySet<string>,
): StrandedIps {
  const stranded: StrandedIps = { ips: [], withdrawn: [], feeds: [] };
  if (withdrawals.size === 0 || observation === undefined) return stranded;
  const entered = new Set(observation.entered);
  const withdrawn = new Map<string, FeedPrefix>();
  const feeds = new Set<FeedId>();
  for (const { ip } of observation.active) {
    if (entered.has(ip) || documented.has(ip)) continue;
    const feed = judgingFeed(endpoint, ip);
    const change = feed === undefined ? undefined : withdrawals.get(feed);
    if (feed === undefined || change === undefined) continue;
    const now = publishedRangesOf(endpoint, ip, matchers);
    if (now === undefined || now.length > 0) continue;
    const before = publishedRangesOf(endpoint, ip, new Map([[feed, change.before]])) ?? [];
    if (before.length === 0) continue;
    stranded.ips.push(ip);
    feeds.add(feed);
    for (const prefix of before) withdrawn.set(feedPrefixKey(prefix), prefix);
  }
  stranded.ips = sortAddresses(stranded.ips);
  stranded.withdrawn = [...withdrawn.values()].sort(
    (a, b) => compareText(a.prefix, b.prefix) || compareText(feedPrefixKey(a), feedPrefixKey(b)),
  );
  stranded.feeds = [...feeds].sort(compareText);
  return stranded;
}
