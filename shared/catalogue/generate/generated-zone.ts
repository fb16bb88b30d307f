/**
 * The DNS side of a generated estate, independent of any zone-file syntax: one entry per name
 * the zone holds (the catalogue's hostnames and the CNAME targets behind them).
 */
export interface GeneratedName {
  /** Lower case, without the trailing dot. */
  name: string;
  ttl: number;
  a: string[];
  aaaa: string[];
  /** An alias: the name has no addresses of its own. */
  cname: string | null;
  /**
   * Answer this many of the addresses per query, rotating (the loopback server's `RR`); NSD
   * answers all of them, rotating their order (`round-robin: yes`).
   */
  roundRobin: number | null;
  /** The name does not exist: the zone answers NXDOMAIN. */
  nxdomain: boolean;
}

/** How a generated hostname answers, and the expectation policy its endpoint is judged under. */
export const HOST_KINDS = [
  "pinned",
  "pool",
  "round-robin",
  "cloudfront-cname",
  "aws-cname-chain",
  "dual-stack",
  "nxdomain",
] as const;
export type HostKind = (typeof HOST_KINDS)[number];

/**
 * The share of each kind in a generated estate (they add up to 1): documented single hosts,
 * shared mirror pools, rotating names, CDN and cloud load balancers behind CNAMEs, dual-stack
 * SaaS names, and 3% of names that no longer exist.
 */
export const HOST_MIX: Record<HostKind, number> = {
  pinned: 0.3,
  pool: 0.22,
  "round-robin": 0.15,
  "cloudfront-cname": 0.1,
  "aws-cname-chain": 0.1,
  "dual-stack": 0.1,
  nxdomain: 0.03,
};

/**
 * How many hostnames of each kind an estate of `hosts` has: each kind its share rounded down,
 * every kind at least one when there is room, the rest pinned.
 */
export function hostCounts(hosts: number): Record<HostKind, number> {
  const counts = Object.fromEntries(
    HOST_KINDS.map((kind) => [
      kind,
      hosts >= HOST_KINDS.length ? Math.max(1, Math.floor(hosts * HOST_MIX[kind])) : 0,
    ]),
  ) as Record<HostKind, number>;
  const assigned = HOST_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
  counts.pinned += hosts - assigned;
  return counts;
}
