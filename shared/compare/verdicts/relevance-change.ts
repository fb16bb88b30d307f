import { feedRelevanceOfIps, isPrefixRelevantToAny } from "#shared/allowlists/feed-relevance";
import type { Endpoint } from "#shared/catalogue/schema";
import type { FeedPrefix, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type { Policy, Widening } from "../policies/policy";
import type { RunContext } from "./run-context";

export interface RelevanceChange {
  /** Published prefixes that leave the group's allowlist with the IPs that left. */
  leaving: FeedPrefix[];
  /** Published prefixes that enter it with the IPs that entered (not on a first sighting). */
  entering: FeedPrefix[];
}

/**
 * How the IPs entering and leaving an endpoint whose allowlist follows the published regions of
 * its IPs (`Policy.followsPublishedRegions`) change the prefixes its allowlist lists (judged
 * against the current snapshot both ways, so a feed change is not counted here:
 * feed-ranges-changed reports that). Prefixes another endpoint of the group still lists do not
 * enter or leave the file. Null when the policy or the snapshot does not apply, or when the
 * group's file is kept as last written.
 */
export function relevanceChangeOf(
  run: RunContext,
  endpoint: Endpoint,
  policy: Policy,
  observation: HostObservation,
): RelevanceChange | null {
  if (!policy.followsPublishedRegions || endpoint.feed === undefined) return null;
  const matcher = run.input.feeds.matchers.get(endpoint.feed);
  const prefixes = matcher?.prefixes;
  if (matcher === undefined || prefixes === undefined) return null;
  if (run.held.get(endpoint.group)?.keptAsWritten === true) return null;
  if (observation.entered.length === 0 && observation.left.length === 0) return null;
  const entered = new Set(observation.entered);
  const now = observation.active.map((ip) => ip.ip);
  const before = [...now.filter((ip) => !entered.has(ip)), ...observation.left.map((ip) => ip.ip)];
  const listed = (ips: readonly string[]) => {
    const relevance = feedRelevanceOfIps(endpoint, ips, matcher);
    return relevance === null
      ? []
      : prefixes.filter((prefix) => isPrefixRelevantToAny(prefix, [relevance]));
  };
  const listedBefore = listed(before);
  const listedNow = listed(now);
  const beforeKeys = new Set(listedBefore.map((p) => p.prefix));
  const nowKeys = new Set(listedNow.map((p) => p.prefix));
  const others = new Set(
    (run.allowlists.get(endpoint.group)?.endpoints ?? [])
      .filter((entry) => entry.id !== endpoint.id)
      .flatMap((entry) => entry.addresses),
  );
  return {
    leaving: listedBefore.filter((p) => !nowKeys.has(p.prefix) && !others.has(p.prefix)),
    entering:
      before.length === 0
        ? []
        : listedNow.filter((p) => !beforeKeys.has(p.prefix) && !others.has(p.prefix)),
  };
}

/**
 * The entering IPs inside a published range that bring entering prefixes into the file (one in
 * a region already listed changes nothing), with those prefixes.
 */
export function wideningOf(
  endpoint: Pick<Endpoint, "feed">,
  inside: readonly string[],
  change: RelevanceChange | null,
  matcher: RangeMatcher | undefined,
): Widening {
  const prefixes = change?.entering ?? [];
  if (prefixes.length === 0 || matcher === undefined) return { ips: [], prefixes: [] };
  const ips = inside.filter((ip) => {
    const relevance = feedRelevanceOfIps(endpoint, [ip], matcher);
    return (
      relevance !== null && prefixes.some((prefix) => isPrefixRelevantToAny(prefix, [relevance]))
    );
  });
  return { ips, prefixes: ips.length === 0 ? [] : prefixes };
}
