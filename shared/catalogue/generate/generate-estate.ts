import type { Catalogue, Endpoint, Pool } from "#shared/catalogue/schema";
import { estateAllocators } from "./addresses";
import { type GeneratedName, HOST_KINDS, type HostKind, hostCounts } from "./generated-zone";
import { type GeneratedHost, type GeneratedPool, HOST_BUILDERS } from "./host-kinds";
import { type Random, seededRandom } from "./random";

/**
 * A generated estate for scale tests and benchmarks: a catalogue of `hosts` hostnames in a
 * realistic mix (generated-zone.ts: pinned hosts, pools, round-robin names, CNAME chains to
 * CloudFront and to AWS load balancers, dual-stack names, 3% NXDOMAIN) and the zone that answers
 * for them, healthy, so a second run of the same estate is a steady state. Pure and
 * deterministic: the same `hosts` and `seed` give the same estate.
 */
export interface GenerateEstateOptions {
  hosts: number;
  seed: number;
}

export interface GeneratedEstate {
  catalogue: Catalogue;
  /** Every name of the zone, hostnames and CNAME targets, in catalogue order. */
  names: GeneratedName[];
  counts: Record<HostKind, number>;
  seed: number;
}

export const MAX_GENERATED_HOSTS = 100_000;

export class GenerateEstateError extends Error {
  override name = "GenerateEstateError";
}

/** Hostnames per vendor domain, roughly. */
const HOSTS_PER_DOMAIN = 250;
const DOMAIN_WORDS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "vandelay",
  "wonka",
  "tyrell",
  "cyberdyne",
  "soylent",
  "aperture",
  "oscorp",
];
const TLDS = ["com", "net", "io", "cloud"];

const DOCUMENT_URLS = {
  cloudfront: "http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips",
  "aws-ip-ranges": "https://ip-ranges.amazonaws.com/ip-ranges.json",
} as const;

const SERVICE_OF: Record<HostKind, string> = {
  pinned: "Documented host",
  pool: "Update mirror",
  "round-robin": "Rotating service",
  "cloudfront-cname": "CDN content",
  "aws-cname-chain": "Cloud API",
  "dual-stack": "SaaS console",
  nxdomain: "Retired host",
};

export function generateEstate(options: GenerateEstateOptions): GeneratedEstate {
  const { hosts, seed } = options;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_GENERATED_HOSTS) {
    throw new GenerateEstateError(`hosts must be a whole number from 1 to ${MAX_GENERATED_HOSTS}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new GenerateEstateError("seed must be a whole number from 0 to 4294967295");
  }
  const random = seededRandom(seed);
  const counts = hostCounts(hosts);
  const kinds = random.shuffle(
    HOST_KINDS.flatMap((kind) => Array<HostKind>(counts[kind]).fill(kind)),
  );
  const domains = vendorDomains(Math.max(3, Math.ceil(hosts / HOSTS_PER_DOMAIN)), random);
  const addresses = estateAllocators();
  const pools = poolRegistry(random, addresses.hosted);
  const generated = kinds.map((kind, index) =>
    HOST_BUILDERS[kind]({
      random,
      addresses,
      index,
      domain: random.pick(domains),
      poolOf: pools.poolOf,
    }),
  );
  const title = `Generated estate of ${hosts} hostnames (seed ${seed})`;
  const catalogue: Catalogue = {
    schemaVersion: 1,
    id: `generated-${hosts}-seed-${seed}`,
    vendor: "Generated estate",
    product: `${hosts} hostnames`,
    document: { title, issue: "1", date: "2026-01" },
    review: "reviewed",
    endpoints: generated.map((host) => endpointOf(host, title)),
    pools: pools.all().map((pool) => poolOf(pool, title)),
    feeds: (["cloudfront", "aws-ip-ranges"] as const).map((id) => ({
      id,
      url: DOCUMENT_URLS[id],
      provenance: provenance(title, "Published ranges", id),
    })),
  };
  return { catalogue, names: generated.flatMap((host) => host.names), counts, seed };
}

function vendorDomains(count: number, random: Random): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${DOMAIN_WORDS[i % DOMAIN_WORDS.length]}${i + 1}.${random.pick(TLDS)}`,
  );
}

/** Pools are per vendor domain: 4–8 IPs each, shared by 6–12 of the domain's pool hosts. */
function poolRegistry(random: Random, hosted: { next(): string }) {
  const open = new Map<string, GeneratedPool>();
  const all: GeneratedPool[] = [];
  return {
    poolOf(domain: string): GeneratedPool {
      const current = open.get(domain);
      if (current !== undefined && current.room > 0) return current;
      const pool: GeneratedPool = {
        id: `${slug(domain)}-mirrors-${all.length + 1}`,
        domain,
        ips: Array.from({ length: random.int(4, 8) }, () => hosted.next()),
        room: random.int(6, 12),
        cursor: 0,
      };
      open.set(domain, pool);
      all.push(pool);
      return pool;
    },
    all: () => all,
  };
}

function slug(domain: string): string {
  return domain.replace(/\./g, "-");
}

function provenance(document: string, section: string, item: string) {
  return { document, issue: "1", section, item };
}

function endpointOf(host: GeneratedHost, document: string): Endpoint {
  const group = `${slug(host.domain)}-${host.kind}`;
  return {
    id: `${group}/${host.hostname}`,
    group,
    service: SERVICE_OF[host.kind],
    purpose: `${SERVICE_OF[host.kind]} of ${host.domain} (generated, ${host.kind})`,
    scope: "external",
    hostname: host.hostname,
    ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    policy: host.policy,
    ips: host.ips,
    ...(host.pool !== undefined ? { pool: host.pool } : {}),
    retiredIps: [],
    ...(host.feed !== undefined ? { feed: host.feed } : {}),
    provenance: provenance(document, SERVICE_OF[host.kind], host.hostname),
  };
}

function poolOf(pool: GeneratedPool, document: string): Pool {
  return {
    id: pool.id,
    description: `Update mirrors of ${pool.domain} (generated)`,
    ips: pool.ips,
    retiredIps: [],
    provenance: provenance(document, "Update mirror", pool.id),
  };
}
