import type { Endpoint } from "#shared/catalogue/schema";
import type { FeedDiff, FeedId, FeedPrefix, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import { type FeedRelevance, isRelevantPrefix } from "#shared/observe/feeds/relevance";
import { CLOUDFRONT_GLOBAL, CLOUDFRONT_REGIONAL_EDGE } from "#shared/observe/feeds/snapshot";

export type { FeedRelevance };

/** Services of ip-ranges.json that an `aws-ip-ranges` endpoint is judged against, narrowest first. */
const AWS_HOST_SERVICES = ["EC2", "AMAZON"] as const;

/**
 * The part of its feed that matters to an endpoint: whose prefixes its allowlist lists and whose
 * changes are worth a notification (the feeds module's `FeedRelevance`).
 * - `cloudfront`: the whole CloudFront list.
 * - `aws-ip-ranges`: the regions where the endpoint's observed IPs are published, in the narrowest
 *   service that contains them (EC2 when it does, else AMAZON, the superset). Before the endpoint
 *   has resolved: nothing.
 * Null when the endpoint's policy names no feed.
 */
export function endpointFeedRelevance(
  endpoint: Pick<Endpoint, "feed">,
  observation: Pick<HostObservation, "active"> | undefined,
  matcher: RangeMatcher | undefined,
): FeedRelevance | null {
  return feedRelevanceOfIps(
    endpoint,
    (observation?.active ?? []).map((ip) => ip.ip),
    matcher,
  );
}

/** `endpointFeedRelevance` for a given set of IPs (say, the observed set before this run). */
export function feedRelevanceOfIps(
  endpoint: Pick<Endpoint, "feed">,
  ips: readonly string[],
  matcher: RangeMatcher | undefined,
): FeedRelevance | null {
  if (endpoint.feed === undefined) return null;
  if (endpoint.feed === "cloudfront") {
    return { services: [CLOUDFRONT_GLOBAL, CLOUDFRONT_REGIONAL_EDGE], everyService: true };
  }
  const services = new Set<string>();
  const regions = new Set<string>();
  if (matcher !== undefined) {
    for (const ip of ips) {
      const published = matcher.contains(ip);
      for (const service of AWS_HOST_SERVICES) {
        const inService = published.filter((prefix) => prefix.service === service);
        if (inService.length === 0) continue;
        services.add(service);
        for (const prefix of inService) regions.add(prefix.region);
        break;
      }
    }
  }
  return { services: [...services].sort(), regions: [...regions].sort() };
}

/**
 * The published ranges that contain an IP of an endpoint, by its policy's feed; undefined when no
 * snapshot can judge it. The CloudFront list publishes IPv4 only: an IPv6 answer of a
 * `cloudfront` endpoint is judged against the CLOUDFRONT ranges of ip-ranges.json.
 */
export function publishedRangesOf(
  endpoint: Pick<Endpoint, "feed">,
  ip: string,
  matchers: ReadonlyMap<FeedId, RangeMatcher>,
): FeedPrefix[] | undefined {
  if (endpoint.feed === undefined) return undefined;
  if (endpoint.feed === "cloudfront" && ip.includes(":")) {
    const aws = matchers.get("aws-ip-ranges");
    return aws?.contains(ip).filter((prefix) => prefix.service === CLOUDFRONT_SERVICE);
  }
  return matchers.get(endpoint.feed)?.contains(ip);
}

/** The feed whose ranges judge an IP of an endpoint (see `publishedRangesOf`). */
export function judgingFeed(endpoint: Pick<Endpoint, "feed">, ip: string): FeedId | undefined {
  return endpoint.feed === "cloudfront" && ip.includes(":") ? "aws-ip-ranges" : endpoint.feed;
}

/** The service name of CloudFront's ranges in ip-ranges.json. */
const CLOUDFRONT_SERVICE = "CLOUDFRONT";

export function isPrefixRelevantToAny(
  prefix: FeedPrefix,
  relevances: readonly FeedRelevance[],
): boolean {
  return relevances.some((relevance) => isRelevantPrefix(prefix, relevance));
}

/** Added and removed prefixes of a diff that matter to any of several endpoints. */
export function prefixChangesRelevantToAny(
  diff: Pick<FeedDiff, "added" | "removed">,
  relevances: readonly FeedRelevance[],
): { added: FeedPrefix[]; removed: FeedPrefix[] } {
  return {
    added: diff.added.filter((prefix) => isPrefixRelevantToAny(prefix, relevances)),
    removed: diff.removed.filter((prefix) => isPrefixRelevantToAny(prefix, relevances)),
  };
}

/** `EC2 in eu-west-2; CLOUDFRONT_GLOBAL/CLOUDFRONT_REGIONAL_EDGE in all regions` */
export function describeRelevance(relevances: readonly FeedRelevance[]): string {
  const parts = new Set<string>();
  for (const relevance of relevances) {
    if (relevance.services.length === 0) continue;
    const regions =
      relevance.regions === undefined ? "all regions" : relevance.regions.join(", ") || "GLOBAL";
    parts.add(`${relevance.services.join("/")} in ${regions}`);
  }
  return [...parts].sort().join("; ");
}
