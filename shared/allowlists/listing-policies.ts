import type { Catalogue, Endpoint, ExpectationPolicy } from "#shared/catalogue/schema";
import { mergeSortedAddresses, sortAddresses } from "#shared/domain/addresses";
import type { FeedId, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import {
  endpointFeedRelevance,
  type FeedRelevance,
  isPrefixRelevantToAny,
  publishedRangesOf,
} from "./feed-relevance";
import { type FeedWithdrawal, strandedIps } from "./stranded";
import type { WrittenAllowlist } from "./written-allowlist";

/**
 * What each expectation policy lists in its group's allowlist: the part of a policy the
 * allowlists need (the verdicts' part is in shared/compare/policies, which builds on this one).
 * Adding a policy means adding it here and there; `Record<ExpectationPolicy, …>` makes both
 * tables say so.
 */
export interface ListingPolicy {
  /**
   * False for a port rule to any address or to the customer's own servers: nothing to resolve,
   * judge or list. Such endpoints are left out of the allowlists and the verdicts.
   */
  readonly hasAddresses: boolean;
  /**
   * True for an endpoint a firewall allows by name only (`wildcard-domain`): it is listed in its
   * group's domain list (`GroupAllowlist.domains`) rather than by address.
   */
  readonly listsDomain?: true;
  /**
   * Judged against a feed's published ranges: a feed withdrawal can strand its IPs
   * (`strandedIps`), which stay listed while observed, so its group's last written document is
   * read back each cycle.
   */
  readonly publishedRanges: boolean;
  /**
   * The addresses the endpoint's allowlist entry lists, sorted and deduplicated as
   * `sortAddresses` does. Read only: endpoints of a feed group share one list.
   */
  addresses(subject: ListingSubject): readonly string[];
}

/** One endpoint, with what its entry can be listed from. */
export interface ListingSubject {
  endpoint: Endpoint;
  observation: HostObservation | undefined;
  /** The endpoint's documented IPs and its pool's. */
  documented: string[];
  /** The observed set: the active IPs of its hostname. */
  observed: string[];
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  /** This run's feed withdrawals (`feedWithdrawalsOf`). */
  withdrawals: ReadonlyMap<FeedId, FeedWithdrawal>;
  /** The last written document of groups with feed endpoints, when read. */
  written: ReadonlyMap<string, WrittenAllowlist> | undefined;
}

/** `pinned`, `pool`: the documented IPs; an undocumented one is for a person to judge. */
const documentedIps: ListingPolicy = {
  hasAddresses: true,
  publishedRanges: false,
  addresses: ({ documented }) => sortAddresses(documented),
};

/** `rotating`, `hostname-only`: the observed set. */
const observedSet: ListingPolicy = {
  hasAddresses: true,
  publishedRanges: false,
  addresses: ({ observed }) => sortAddresses(observed),
};

/** `any-destination`, `internal`: no addresses. */
const portOnly: ListingPolicy = {
  hasAddresses: false,
  publishedRanges: false,
  addresses: () => [],
};

/**
 * `wildcard-domain`: a wildcard domain resolves to nothing, so no IP is listed for it (a
 * firewall allows it by name, as a domain-list entry); it is listed in its group's domain list
 * (`GroupAllowlist.domains`), never in the IP list.
 */
const domainOnly: ListingPolicy = {
  hasAddresses: false,
  listsDomain: true,
  publishedRanges: false,
  addresses: () => [],
};

/**
 * `cloudfront`, `aws-ip-ranges`: the published prefixes the policy names (the whole CloudFront
 * list; the AWS services and regions where the endpoint's IPs are published), plus documented
 * IPs, plus the observed IPs inside a published range that no listed prefix contains. An
 * observed IP outside every published range is listed only when it is stranded: a feed
 * withdrawal of this run left it outside (`strandedIps`), or the last written document listed it
 * for the endpoint and the host still resolves to it (so a feed dropping a host's regions never
 * empties the list). An IP that enters outside every range is never listed: that is the hijack
 * signal (`ip-outside-published-ranges`), for a person to allow. Without a feed snapshot, the
 * observed IPs.
 */
const publishedRanges: ListingPolicy = {
  hasAddresses: true,
  publishedRanges: true,
  addresses: publishedRangeAddresses,
};

export const LISTING_POLICIES: Record<ExpectationPolicy, ListingPolicy> = {
  pinned: documentedIps,
  pool: documentedIps,
  cloudfront: publishedRanges,
  "aws-ip-ranges": publishedRanges,
  rotating: observedSet,
  "hostname-only": observedSet,
  "any-destination": portOnly,
  internal: portOnly,
  "wildcard-domain": domainOnly,
};

function publishedRangeAddresses(subject: ListingSubject): readonly string[] {
  const { endpoint, observation, documented, observed, matchers } = subject;
  const matcher = endpoint.feed === undefined ? undefined : matchers.get(endpoint.feed);
  if (matcher === undefined) return sortAddresses([...documented, ...observed]);
  const { published, listed } = publishedPrefixes(
    matcher,
    endpointFeedRelevance(endpoint, observation, matcher),
  );
  const stranded = new Set(
    strandedIps(endpoint, observation, matchers, subject.withdrawals, new Set(documented)).ips,
  );
  const entered = new Set(observation?.entered ?? []);
  // What the last written document listed for the endpoint; never an IP entering now.
  const listedBefore = new Set(
    (
      subject.written?.get(endpoint.group)?.endpoints.find((entry) => entry.id === endpoint.id)
        ?.addresses ?? []
    ).filter((address) => !entered.has(address)),
  );
  const unlisted = observed.filter((ip) => {
    const ranges = publishedRangesOf(endpoint, ip, matchers);
    // No snapshot to judge it (an IPv6 answer without ip-ranges.json), or in a range not listed.
    if (ranges === undefined) return true;
    if (ranges.length > 0) return !ranges.some((prefix) => listed.has(prefix.prefix));
    // Outside every range: only an address the host relied on before the feed withdrew it.
    return stranded.has(ip) || listedBefore.has(ip);
  });
  const others = [...documented, ...unlisted];
  return others.length === 0 ? published : mergeSortedAddresses(published, sortAddresses(others));
}

/**
 * The groups whose last written document can change what `publishedRangeAddresses` lists this
 * run: those with an endpoint judged against a feed it has a matcher for that observes an IP
 * outside every published range (only such an IP is listed because the document listed it).
 * Other groups' documents need not be read: a feed group's document lists every endpoint's
 * published prefixes, 80 documents of ~500 KB per steady 10,000-host run. Pure.
 */
export function groupsListingBeyondRanges(
  catalogue: Pick<Catalogue, "endpoints">,
  observations: ReadonlyMap<string, HostObservation>,
  matchers: ReadonlyMap<FeedId, RangeMatcher>,
): Set<string> {
  const groups = new Set<string>();
  for (const endpoint of catalogue.endpoints) {
    if (groups.has(endpoint.group) || !LISTING_POLICIES[endpoint.policy].publishedRanges) continue;
    if (endpoint.hostname === null || endpoint.feed === undefined) continue;
    if (!matchers.has(endpoint.feed)) continue;
    const active = observations.get(endpoint.hostname)?.active ?? [];
    if (active.some(({ ip }) => publishedRangesOf(endpoint, ip, matchers)?.length === 0)) {
      groups.add(endpoint.group);
    }
  }
  return groups;
}

/** The published prefixes of a snapshot that a relevance names, as a list and a set. */
interface PublishedPrefixes {
  /** Sorted (`sortAddresses`) and frozen: endpoints' entries share it. */
  published: readonly string[];
  listed: ReadonlySet<string>;
}

/**
 * Per snapshot (a matcher is immutable), the prefixes of each relevance met so far: endpoints of
 * a feed group mostly share one (the whole CloudFront list; the regions of a service), and
 * filtering the snapshot's thousands of prefixes once per endpoint was repeated work.
 */
const publishedBySnapshot = new WeakMap<RangeMatcher, Map<string, PublishedPrefixes>>();

function publishedPrefixes(
  matcher: RangeMatcher,
  relevance: FeedRelevance | null,
): PublishedPrefixes {
  if (matcher.prefixes === undefined || relevance === null) {
    return { published: [], listed: new Set() };
  }
  let byRelevance = publishedBySnapshot.get(matcher);
  if (byRelevance === undefined) {
    byRelevance = new Map();
    publishedBySnapshot.set(matcher, byRelevance);
  }
  const key = JSON.stringify(relevance);
  const known = byRelevance.get(key);
  if (known !== undefined) return known;
  const published = Object.freeze(
    sortAddresses(
      matcher.prefixes
        .filter((prefix) => isPrefixRelevantToAny(prefix, [relevance]))
        .map((prefix) => prefix.prefix),
    ),
  );
  const found = { published, listed: new Set(published) };
  byRelevance.set(key, found);
  return found;
}
