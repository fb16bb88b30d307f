import {
  endpointFeedRelevance,
  isPrefixRelevantToAny,
  publishedRangesOf,
} from "#shared/allowlists/feed-relevance";
import { type FeedWithdrawal, strandedIps } from "#shared/allowlists/stranded";
import type { Catalogue, Endpoint, PortSpec } from "#shared/catalogue/schema";
import { sortAddresses } from "#shared/domain/addresses";
import { contentId } from "#shared/domain/canonical";
import type { FeedId, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type { WrittenAllowlist } from "./written-allowlist";

/**
 * The current allowlist of one firewall group: what its rule(s) should allow, per the catalogue's
 * expectation policies, the observed DNS state and the published feeds. Pure.
 *
 * Per policy:
 * - `pinned`, `pool`: the documented IPs (the endpoint's and its pool's). An observed IP that is
 *   not documented is drift for a person to judge (`ip-added`), not an automatic allow.
 * - `cloudfront`, `aws-ip-ranges`: the published prefixes the policy names (the whole CloudFront
 *   list; the AWS services and regions where the endpoint's IPs are published), plus documented
 *   IPs, plus the observed IPs inside a published range that no listed prefix contains. An
 *   observed IP outside every published range is listed only when it is stranded: a feed
 *   withdrawal of this run left it outside (`strandedIps`), or the last written document listed it
 *   for the endpoint and the host still resolves to it (so a feed dropping a host's regions never
 *   empties the list). An IP that enters outside every range is never listed: that is the hijack
 *   signal (`ip-outside-published-ranges`), for a person to allow. Without a feed snapshot, the
 *   observed IPs.
 * - `rotating`, `hostname-only`: the observed set.
 * - `any-destination`, `internal`: no addresses to list; such endpoints are left out, and a group
 *   with nothing else has no allowlist.
 */
export interface AllowlistEndpoint {
  id: string;
  hostname: string | null;
  policy: Endpoint["policy"];
  ports: PortSpec[];
  addresses: string[];
}

export interface GroupAllowlist {
  group: string;
  catalogueId: string;
  /** Union of the endpoints' ports, sorted. */
  ports: PortSpec[];
  /** Union of the endpoints' addresses (IPs and CIDR prefixes), deduplicated and sorted. */
  addresses: string[];
  endpoints: AllowlistEndpoint[];
  /** sha256 of the content above: equal hashes, equal files. */
  contentSha256: string;
}

export interface AllowlistInput {
  catalogue: Catalogue;
  observations: readonly HostObservation[];
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  /** This run's feed withdrawals (`feedWithdrawalsOf`); none when absent. */
  withdrawals?: ReadonlyMap<FeedId, FeedWithdrawal>;
  /**
   * The last written document of groups with feed endpoints (`readWrittenAllowlists`): the IPs
   * outside every range it listed for an endpoint stay listed while still observed. None when
   * absent: only this run's stranded IPs are listed.
   */
  written?: ReadonlyMap<string, WrittenAllowlist>;
}

const NOTHING_TO_LIST = new Set<Endpoint["policy"]>(["any-destination", "internal"]);

export function buildAllowlists(input: AllowlistInput): GroupAllowlist[] {
  const { catalogue } = input;
  const observations = new Map(input.observations.map((o) => [o.hostname, o]));
  const pools = new Map(catalogue.pools.map((pool) => [pool.id, pool]));
  const byGroup = new Map<string, AllowlistEndpoint[]>();

  for (const endpoint of catalogue.endpoints) {
    if (NOTHING_TO_LIST.has(endpoint.policy) || endpoint.hostname === null) continue;
    const observation = observations.get(endpoint.hostname);
    const pool = endpoint.pool === undefined ? undefined : pools.get(endpoint.pool);
    const documented = [...endpoint.ips, ...(pool?.ips ?? [])];
    const observed = (observation?.active ?? []).map((ip) => ip.ip);
    let addresses: string[];
    switch (endpoint.policy) {
      case "pinned":
      case "pool":
        addresses = documented;
        break;
      case "cloudfront":
      case "aws-ip-ranges":
        addresses = feedAddresses(input, endpoint, observation, documented, observed);
        break;
      default:
        addresses = observed;
    }
    const entry: AllowlistEndpoint = {
      id: endpoint.id,
      hostname: endpoint.hostname,
      policy: endpoint.policy,
      ports: sortPorts(endpoint.ports),
      addresses: sortAddresses(addresses),
    };
    const list = byGroup.get(endpoint.group);
    if (list === undefined) byGroup.set(endpoint.group, [entry]);
    else list.push(entry);
  }

  return [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, endpoints]) => groupAllowlist(catalogue.id, group, endpoints));
}

/** A group's allowlist from its endpoints' entries: the union of ports and addresses, hashed. */
export function groupAllowlist(
  catalogueId: string,
  group: string,
  entries: readonly AllowlistEndpoint[],
): GroupAllowlist {
  const endpoints = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const content = {
    group,
    catalogueId,
    ports: sortPorts(endpoints.flatMap((e) => e.ports)),
    addresses: sortAddresses(endpoints.flatMap((e) => e.addresses)),
    endpoints,
  };
  return { ...content, contentSha256: contentId(content) };
}

function feedAddresses(
  input: AllowlistInput,
  endpoint: Endpoint,
  observation: HostObservation | undefined,
  documented: string[],
  observed: string[],
): string[] {
  const { matchers } = input;
  const matcher = endpoint.feed === undefined ? undefined : matchers.get(endpoint.feed);
  if (matcher === undefined) return [...documented, ...observed];
  const relevance = endpointFeedRelevance(endpoint, observation, matcher);
  const published =
    matcher.prefixes === undefined || relevance === null
      ? []
      : matcher.prefixes
          .filter((prefix) => isPrefixRelevantToAny(prefix, [relevance]))
          .map((prefix) => prefix.prefix);
  const listed = new Set(published);
  const stranded = new Set(
    strandedIps(
      endpoint,
      observation,
      matchers,
      input.withdrawals ?? new Map(),
      new Set(documented),
    ).ips,
  );
  const entered = new Set(observation?.entered ?? []);
  // What the last written document listed for the endpoint; never an IP entering now.
  const listedBefore = new Set(
    (
      input.written?.get(endpoint.group)?.endpoints.find((entry) => entry.id === endpoint.id)
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
  return [...published, ...documented, ...unlisted];
}

export function comparePorts(a: PortSpec, b: PortSpec): number {
  return (
    (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0) ||
    a.port - b.port ||
    (a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0)
  );
}

/** Deduplicated and sorted by protocol, port, direction. */
export function sortPorts(ports: readonly PortSpec[]): PortSpec[] {
  const unique = new Map<string, PortSpec>();
  for (const port of ports) {
    unique.set(`${port.protocol}/${port.port}/${port.direction}`, {
      protocol: port.protocol,
      port: port.port,
      direction: port.direction,
    });
  }
  return [...unique.values()].sort(comparePorts);
}

/** `tcp/80 out, udp/53 in-out` */
export function describePorts(ports: readonly PortSpec[]): string {
  return sortPorts(ports)
    .map((port) => `${port.protocol}/${port.port} ${port.direction}`)
    .join(", ");
}
