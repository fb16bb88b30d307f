import type { Catalogue, Endpoint, PortSpec } from "#shared/catalogue/schema";
import { unionOfSortedAddresses } from "#shared/domain/addresses";
import { contentId } from "#shared/domain/canonical";
import type { FeedId, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import { aggregateCidrs } from "./aggregate-cidrs";
import { LISTING_POLICIES } from "./listing-policies";
import type { FeedWithdrawal } from "./stranded";
import type { WrittenAllowlist } from "./written-allowlist";

export interface AllowlistEndpoint {
  id: string;
  hostname: string | null;
  policy: Endpoint["policy"];
  ports: PortSpec[];
  /** Sorted (`sortAddresses`); read only: endpoints of a feed group share one list. */
  addresses: readonly string[];
}

export interface GroupAllowlist {
  group: string;
  catalogueId: string;
  /** Union of the endpoints' ports, sorted. */
  ports: PortSpec[];
  /**
   * Union of the endpoints' addresses (IPs and CIDR prefixes), deduplicated and sorted; with the
   * group option `aggregate`, the fewest prefixes covering them (`aggregateCidrs`).
   */
  addresses: string[];
  /** Set (true) when `addresses` is aggregated; absent otherwise, so default hashes stay put. */
  aggregated?: true;
  /**
   * The names a firewall allows by name only (`wildcard-domain` endpoints, `*.apc.avira.com`),
   * sorted; absent when there are none, so the hashes of lists without them stay put. Written as
   * domain lists (`renderDomainList`).
   */
  domains?: string[];
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

/**
 * The current allowlist of one firewall group: what its rule(s) should allow, per the catalogue's
 * expectation policies (`LISTING_POLICIES` says what each lists), the observed DNS state and the
 * published feeds. Pure. Endpoints whose policy has no addresses (`any-destination`, `internal`)
 * are left out, and a group with nothing else has no allowlist.
 */
export function buildAllowlists(input: AllowlistInput): GroupAllowlist[] {
  const { catalogue } = input;
  const observations = new Map(input.observations.map((o) => [o.hostname, o]));
  const pools = new Map(catalogue.pools.map((pool) => [pool.id, pool]));
  const byGroup = new Map<string, AllowlistEndpoint[]>();

  for (const endpoint of catalogue.endpoints) {
    const listing = LISTING_POLICIES[endpoint.policy];
    if ((!listing.hasAddresses && listing.listsDomain !== true) || endpoint.hostname === null) {
      continue;
    }
    const observation = observations.get(endpoint.hostname);
    const pool = endpoint.pool === undefined ? undefined : pools.get(endpoint.pool);
    const addresses = listing.addresses({
      endpoint,
      observation,
      documented: [...endpoint.ips, ...(pool?.ips ?? [])],
      observed: (observation?.active ?? []).map((ip) => ip.ip),
      matchers: input.matchers,
      withdrawals: input.withdrawals ?? new Map(),
      written: input.written,
    });
    const entry: AllowlistEndpoint = {
      id: endpoint.id,
      hostname: endpoint.hostname,
      policy: endpoint.policy,
      ports: sortPorts(endpoint.ports),
      addresses,
    };
    const list = byGroup.get(endpoint.group);
    if (list === undefined) byGroup.set(endpoint.group, [entry]);
    else list.push(entry);
  }

  return [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, endpoints]) =>
      groupAllowlist(catalogue.id, group, endpoints, catalogue.groups?.[group]),
    );
}

/**
 * A group's allowlist from its endpoints' entries: the union of ports and addresses (aggregated
 * with the group option `aggregate`) and the names allowed by name only, hashed.
 */
export function groupAllowlist(
  catalogueId: string,
  group: string,
  entries: readonly AllowlistEndpoint[],
  options: { aggregate?: boolean | undefined } = {},
): GroupAllowlist {
  const endpoints = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lists = endpoints.map((e) => e.addresses);
  const domains = [
    ...new Set(
      endpoints.flatMap((e) =>
        LISTING_POLICIES[e.policy].listsDomain === true && e.hostname !== null ? [e.hostname] : [],
      ),
    ),
  ].sort();
  const content = {
    group,
    catalogueId,
    ports: sortPorts(endpoints.flatMap((e) => e.ports)),
    addresses:
      options.aggregate === true ? aggregateCidrs(lists.flat()) : unionOfSortedAddresses(lists),
    ...(options.aggregate === true ? { aggregated: true as const } : {}),
    ...(domains.length > 0 ? { domains } : {}),
    endpoints,
  };
  return { ...content, contentSha256: contentId(content) };
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
