import type { ExpectationPolicy } from "#shared/catalogue/schema";
import type { EstateAllocators } from "./addresses";
import type { GeneratedName, HostKind } from "./generated-zone";
import type { Random } from "./random";

/**
 * One generated hostname of each kind: its name, the zone entries that answer for it, and what
 * its catalogue endpoint documents.
 */
export interface GeneratedHost {
  kind: HostKind;
  hostname: string;
  domain: string;
  policy: ExpectationPolicy;
  /** Documented IPs (pinned hosts). */
  ips: string[];
  pool?: string;
  feed?: "cloudfront" | "aws-ip-ranges";
  /** The hostname's entry first, then the CNAME targets behind it. */
  names: GeneratedName[];
}

/** A documented set of IPs shared by hosts of one vendor domain (a mirror pool). */
export interface GeneratedPool {
  id: string;
  domain: string;
  ips: string[];
  /** Hosts it still takes. */
  room: number;
  /** The next of its IPs to hand out, so every IP is served by some host. */
  cursor: number;
}

export interface HostContext {
  random: Random;
  addresses: EstateAllocators;
  /** Position of the host in the estate: makes its name unique. */
  index: number;
  domain: string;
  /** The open pool of `domain`, created when it has none with room left. */
  poolOf(domain: string): GeneratedPool;
}

function entry(name: string, ttl: number, fields: Partial<GeneratedName> = {}): GeneratedName {
  return { name, ttl, a: [], aaaa: [], cname: null, roundRobin: null, nxdomain: false, ...fields };
}

function times<T>(count: number, make: () => T): T[] {
  return Array.from({ length: count }, make);
}

const LABELS: Record<HostKind, readonly string[]> = {
  pinned: ["api", "portal", "licence", "telemetry", "support", "sso"],
  pool: ["mirror", "update", "download", "repo"],
  "round-robin": ["ntp", "lookup", "reputation", "pool"],
  "cloudfront-cname": ["static", "assets", "cdn", "downloads"],
  "aws-cname-chain": ["ingest", "events", "query-api", "sync"],
  "dual-stack": ["app", "console", "auth", "status"],
  nxdomain: ["legacy", "old", "beta", "v1"],
};

function hostnameOf(context: HostContext, kind: HostKind): string {
  return `${context.random.pick(LABELS[kind])}-${context.index + 1}.${context.domain}`;
}

function base36(random: Random, length: number): string {
  return times(length, () => random.int(0, 35).toString(36)).join("");
}

function pinnedHost(context: HostContext): GeneratedHost {
  const hostname = hostnameOf(context, "pinned");
  const ips = times(context.random.int(1, 2), () => context.addresses.hosted.next());
  const ttl = context.random.pick([300, 3600]);
  return {
    ...base(context, "pinned", hostname, "pinned"),
    ips,
    names: [entry(hostname, ttl, { a: ips })],
  };
}

function poolHost(context: HostContext): GeneratedHost {
  const hostname = hostnameOf(context, "pool");
  const pool = context.poolOf(context.domain);
  pool.room--;
  const a = times(Math.min(pool.ips.length, context.random.int(1, 2)), () => {
    const ip = pool.ips[pool.cursor % pool.ips.length] as string;
    pool.cursor++;
    return ip;
  });
  return {
    ...base(context, "pool", hostname, "pool"),
    pool: pool.id,
    names: [entry(hostname, 3600, { a: [...new Set(a)] })],
  };
}

/** Addresses per answer of a round-robin name on the loopback server. */
export const ROUND_ROBIN = 3;

function roundRobinHost(context: HostContext): GeneratedHost {
  const { random, addresses } = context;
  const hostname = hostnameOf(context, "round-robin");
  const a = times(random.int(6, 8), () => addresses.hosted.next());
  const aaaa = random.next() < 0.5 ? times(random.int(2, 4), () => addresses.hostedV6.next()) : [];
  return {
    ...base(context, "round-robin", hostname, "rotating"),
    // 3 per answer: a run's 3 samples see all of a name's (at most 8) addresses, so the second
    // run of an estate is a steady state on the loopback server too (NSD answers them all).
    names: [entry(hostname, 150, { a, aaaa, roundRobin: ROUND_ROBIN })],
  };
}

function cloudfrontHost(context: HostContext): GeneratedHost {
  const { random, addresses } = context;
  const hostname = hostnameOf(context, "cloudfront-cname");
  const distribution = `d${context.index.toString(36).padStart(5, "0")}${base36(random, 8)}.cloudfront.net`;
  const a = times(random.int(2, 4), () => addresses.cloudfront.next());
  return {
    ...base(context, "cloudfront-cname", hostname, "cloudfront"),
    feed: "cloudfront",
    names: [entry(hostname, 300, { cname: distribution }), entry(distribution, 60, { a })],
  };
}

/** Two hops: the vendor's name, its own service alias, then an ELB name with A and AAAA. */
function awsChainHost(context: HostContext): GeneratedHost {
  const { random, addresses } = context;
  const hostname = hostnameOf(context, "aws-cname-chain");
  const alias = `lb-${context.index + 1}.edge.${context.domain}`;
  const elb = `ingress-${context.index + 1}-${random.int(1e9, 2e9 - 1)}.us-east-1.elb.amazonaws.com`;
  const a = times(2, () => addresses.ec2.next());
  const aaaa = times(2, () => addresses.ec2V6.next());
  return {
    ...base(context, "aws-cname-chain", hostname, "aws-ip-ranges"),
    feed: "aws-ip-ranges",
    names: [
      entry(hostname, 300, { cname: alias }),
      entry(alias, 300, { cname: elb }),
      entry(elb, 60, { a, aaaa }),
    ],
  };
}

function dualStackHost(context: HostContext): GeneratedHost {
  const { random, addresses } = context;
  const hostname = hostnameOf(context, "dual-stack");
  const a = times(random.int(1, 2), () => addresses.hosted.next());
  const aaaa = times(random.int(1, 2), () => addresses.hostedV6.next());
  return {
    ...base(context, "dual-stack", hostname, "hostname-only"),
    names: [entry(hostname, 300, { a, aaaa })],
  };
}

function nxdomainHost(context: HostContext): GeneratedHost {
  const hostname = hostnameOf(context, "nxdomain");
  return {
    ...base(context, "nxdomain", hostname, "hostname-only"),
    names: [entry(hostname, 300, { nxdomain: true })],
  };
}

function base(context: HostContext, kind: HostKind, hostname: string, policy: ExpectationPolicy) {
  return { kind, hostname, domain: context.domain, policy, ips: [] as string[] };
}

export const HOST_BUILDERS: Record<HostKind, (context: HostContext) => GeneratedHost> = {
  pinned: pinnedHost,
  pool: poolHost,
  "round-robin": roundRobinHost,
  "cloudfront-cname": cloudfrontHost,
  "aws-cname-chain": awsChainHost,
  "dual-stack": dualStackHost,
  nxdomain: nxdomainHost,
};
