import type { Catalogue, Endpoint, ExpectationPolicy, PortSpec } from "#shared/catalogue/schema";

/**
 * What a new issue of a vendor's document changed in its catalogue (`driftwatch catalogue diff`):
 * hosts added and removed, and for each host in both, the IPs, CIDR ranges, ports and policies
 * that changed. Pure.
 *
 * A host is an endpoint's hostname (a wildcard domain included); a port-only row, which has
 * none, is keyed by its endpoint id. A host's IPs are its own and its pool's, so a pool that
 * gains an address shows on every host that uses it. A host listed by several endpoints (in
 * several groups) is compared as the union of them.
 */
export interface CatalogueDiff {
  old: CatalogueHeader;
  new: CatalogueHeader;
  added: HostSummary[];
  removed: HostSummary[];
  changed: HostChange[];
  /** Hosts in both catalogues with nothing changed. */
  unchanged: number;
}

export interface CatalogueHeader {
  id: string;
  title: string;
  issue: string;
  date: string;
}

/** A host as one catalogue has it. */
export interface HostSummary {
  /** The hostname, or `endpoint:<id>` for a row without one. */
  host: string;
  groups: string[];
  policies: ExpectationPolicy[];
  /** `tcp/443/out`, sorted. */
  ports: string[];
  ips: string[];
  ranges: string[];
}

/** What changed for a host found in both catalogues; every list may be empty. */
export interface HostChange {
  host: string;
  ips: Changed;
  ranges: Changed;
  ports: Changed;
  groups: Changed;
  /** Set when the host's policies differ. */
  policy?: { from: ExpectationPolicy[]; to: ExpectationPolicy[] };
}

export interface Changed {
  added: string[];
  removed: string[];
}

export function diffCatalogues(before: Catalogue, after: Catalogue): CatalogueDiff {
  const old = hostsOf(before);
  const current = hostsOf(after);
  const added = [...current.values()].filter((h) => !old.has(h.host));
  const removed = [...old.values()].filter((h) => !current.has(h.host));
  const changed: HostChange[] = [];
  let unchanged = 0;
  for (const host of current.values()) {
    const previous = old.get(host.host);
    if (previous === undefined) continue;
    const change = compareHost(previous, host);
    if (change === undefined) unchanged++;
    else changed.push(change);
  }
  const byHost = (a: { host: string }, b: { host: string }) => a.host.localeCompare(b.host);
  return {
    old: headerOf(before),
    new: headerOf(after),
    added: added.sort(byHost),
    removed: removed.sort(byHost),
    changed: changed.sort(byHost),
    unchanged,
  };
}

/** Whether the diff holds any change. */
export function hasChanges(diff: CatalogueDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length > 0;
}

/** `tcp/443/out` */
export function portKey(port: PortSpec): string {
  return `${port.protocol}/${port.port}/${port.direction}`;
}

function headerOf(catalogue: Catalogue): CatalogueHeader {
  const { title, issue, date } = catalogue.document;
  return { id: catalogue.id, title, issue, date };
}

function hostsOf(catalogue: Catalogue): Map<string, HostSummary> {
  const pools = new Map(catalogue.pools.map((p) => [p.id, p]));
  const hosts = new Map<string, HostSummary>();
  for (const endpoint of catalogue.endpoints) {
    const host = endpoint.hostname ?? `endpoint:${endpoint.id}`;
    const pool = endpoint.pool === undefined ? undefined : pools.get(endpoint.pool);
    const entry = hosts.get(host) ?? emptyHost(host);
    entry.groups = merged(entry.groups, [endpoint.group]);
    entry.policies = merged(entry.policies, [endpoint.policy]);
    entry.ports = merged(entry.ports, endpoint.ports.map(portKey));
    entry.ips = merged(entry.ips, [...endpoint.ips, ...(pool?.ips ?? [])]);
    entry.ranges = merged(entry.ranges, [...rangesOf(endpoint), ...(pool?.ranges ?? [])]);
    hosts.set(host, entry);
  }
  return hosts;
}

function emptyHost(host: string): HostSummary {
  return { host, groups: [], policies: [], ports: [], ips: [], ranges: [] };
}

function rangesOf(endpoint: Endpoint): string[] {
  return endpoint.ranges ?? [];
}

function merged<T extends string>(values: T[], more: T[]): T[] {
  return [...new Set([...values, ...more])].sort();
}

function compareHost(before: HostSummary, after: HostSummary): HostChange | undefined {
  const change: HostChange = {
    host: after.host,
    ips: changedBetween(before.ips, after.ips),
    ranges: changedBetween(before.ranges, after.ranges),
    ports: changedBetween(before.ports, after.ports),
    groups: changedBetween(before.groups, after.groups),
  };
  const policies = changedBetween(before.policies, after.policies);
  if (policies.added.length + policies.removed.length > 0) {
    change.policy = { from: before.policies, to: after.policies };
  }
  const lists = [change.ips, change.ranges, change.ports, change.groups];
  const any = lists.some((c) => c.added.length + c.removed.length > 0);
  return any || change.policy !== undefined ? change : undefined;
}

function changedBetween(before: string[], after: string[]): Changed {
  const old = new Set(before);
  const current = new Set(after);
  return {
    added: after.filter((v) => !old.has(v)),
    removed: before.filter((v) => !current.has(v)),
  };
}
