import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import type { IpSighting, ObservationQueries } from "#shared/observe/dns/observation-store";

/** What the catalogue says about an IP for one endpoint of a hostname. */
export interface IpDocumentation {
  endpointId: string;
  hostname: string | null;
  group: string;
  policy: string;
  status: "documented" | "pool" | "retired" | "published-ranges" | "undocumented";
  poolId?: string;
  retiredOn?: string;
  note?: string;
}

export interface IpHostUse {
  hostname: string;
  family: 4 | 6;
  /** When the IP first entered the hostname's observed set. */
  firstSeen: string;
  firstRunId: string;
  /** In the hostname's observed set as of its newest observation. */
  current: boolean;
  lastSeen: string | null;
  /** When it left the observed set, if it did. */
  leftAt: string | null;
  /** One entry per catalogue endpoint of the hostname; empty when it is not catalogued. */
  catalogue: IpDocumentation[];
}

export interface IpUse {
  ip: string;
  hosts: IpHostUse[];
  /** Endpoints the catalogue documents the IP for (directly, in their pool, or retired). */
  documentedFor: IpDocumentation[];
}

export interface IpUseDeps {
  observations: Pick<ObservationQueries, "hostsForIp" | "latestObservations">;
}

export interface IpUseInput {
  catalogue: Catalogue;
  /** A canonical IP (`IpAddressField`). */
  ip: string;
}

/**
 * Which hostnames ever resolved to an IP (`driftwatch ip IP`):
 * 1. Read the IP index (every hostname that ever had it in its observed set).
 * 2. For each hostname, read its newest observation (still observed or left).
 * 3. Add what the catalogue documents for the IP there, and for which other endpoints.
 */
export async function queryIpUse(deps: IpUseDeps, input: IpUseInput): Promise<IpUse> {
  const sightings = await deps.observations.hostsForIp(input.ip);
  const latest = await deps.observations.latestObservations(sightings.map((s) => s.hostname));
  return describeIpUse(input.catalogue, input.ip, sightings, latest);
}

export function describeIpUse(
  catalogue: Catalogue,
  ip: string,
  sightings: readonly IpSighting[],
  latest: ReadonlyMap<string, HostObservation>,
): IpUse {
  const hosts = sightings
    .map((sighting): IpHostUse => {
      const observation = latest.get(sighting.hostname);
      const active = observation?.active.find((o) => o.ip === ip);
      const gone = observation?.departed.find((o) => o.ip === ip);
      return {
        hostname: sighting.hostname,
        family: sighting.family,
        firstSeen: sighting.firstSeen,
        firstRunId: sighting.runId,
        current: active !== undefined,
        lastSeen: (active ?? gone)?.lastSeen ?? null,
        leftAt: active === undefined ? (gone?.leftAt ?? null) : null,
        catalogue: catalogue.endpoints
          .filter((e) => e.hostname === sighting.hostname)
          .map((endpoint) => documentationOf(catalogue, endpoint.id, ip)),
      };
    })
    .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.hostname.localeCompare(b.hostname));
  const documentedFor = catalogue.endpoints
    .map((endpoint) => documentationOf(catalogue, endpoint.id, ip))
    .filter(
      (doc) => doc.status === "documented" || doc.status === "pool" || doc.status === "retired",
    );
  return { ip, hosts, documentedFor };
}

function documentationOf(catalogue: Catalogue, endpointId: string, ip: string): IpDocumentation {
  const endpoint = catalogue.endpoints.find((e) => e.id === endpointId);
  if (endpoint === undefined) throw new RangeError(`no endpoint ${endpointId}`);
  const base = {
    endpointId: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    policy: endpoint.policy,
  };
  const pool = catalogue.pools.find((p) => p.id === endpoint.pool);
  if (endpoint.ips.includes(ip)) return { ...base, status: "documented" };
  if (pool?.ips.includes(ip)) return { ...base, status: "pool", poolId: pool.id };
  const retired =
    endpoint.retiredIps.find((r) => r.ip === ip) ?? pool?.retiredIps.find((r) => r.ip === ip);
  if (retired !== undefined) {
    return {
      ...base,
      status: "retired",
      retiredOn: retired.retiredOn,
      ...(pool?.retiredIps.includes(retired) ? { poolId: pool.id } : {}),
      ...(retired.note !== undefined ? { note: retired.note } : {}),
    };
  }
  if (LISTING_POLICIES[endpoint.policy].publishedRanges) {
    return { ...base, status: "published-ranges" };
  }
  return { ...base, status: "undocumented" };
}
