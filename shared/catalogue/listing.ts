import type {
  Catalogue,
  Endpoint,
  ExpectationPolicy,
  FeedSource,
  Mention,
  Pool,
  PortSpec,
  Provenance,
  RetiredIp,
} from "#shared/catalogue/schema";

/**
 * The catalogue as people and scripts read it (`driftwatch catalogue list`): each endpoint with
 * the IPs it may use resolved through its pool. Pure.
 */
export interface EndpointListing {
  id: string;
  hostname: string | null;
  service: string;
  purpose: string;
  scope: Endpoint["scope"];
  group: string;
  policy: ExpectationPolicy;
  pool: string | null;
  feed: string | null;
  /** The documented IPs this endpoint may use: its own, then its pool's. */
  ips: string[];
  /** Retired IPs of the endpoint and of its pool. */
  retiredIps: RetiredIp[];
  ports: PortSpec[];
  /** The protocols of `ports`, e.g. `tcp`, `udp`, `udp/tcp`. */
  protocol: string;
  /** The directions of `ports`, e.g. `out`, `in`, `in-out`, `in/out`. */
  direction: string;
  provenance: Provenance;
  notes?: string;
}

export interface CatalogueListing {
  catalogue: Pick<Catalogue, "id" | "vendor" | "product" | "document" | "review">;
  counts: {
    endpoints: number;
    hostnames: number;
    pools: number;
    feeds: number;
    /** Distinct IPv4 addresses: endpoint, pool and retired. */
    ipv4: number;
    retiredIpv4: number;
    /** Distinct IPv6 addresses: endpoint, pool and retired. */
    ipv6: number;
    retiredIpv6: number;
  };
  endpoints: EndpointListing[];
  pools: Pool[];
  feeds: FeedSource[];
  mentions: Mention[];
}

export function listCatalogue(catalogue: Catalogue): CatalogueListing {
  const pools = new Map(catalogue.pools.map((p) => [p.id, p]));
  const endpoints = catalogue.endpoints.map((endpoint): EndpointListing => {
    const pool = endpoint.pool === undefined ? undefined : pools.get(endpoint.pool);
    return {
      id: endpoint.id,
      hostname: endpoint.hostname,
      service: endpoint.service,
      purpose: endpoint.purpose,
      scope: endpoint.scope,
      group: endpoint.group,
      policy: endpoint.policy,
      pool: endpoint.pool ?? null,
      feed: endpoint.feed ?? null,
      ips: [...new Set([...endpoint.ips, ...(pool?.ips ?? [])])],
      retiredIps: [...endpoint.retiredIps, ...(pool?.retiredIps ?? [])],
      ports: endpoint.ports,
      protocol: [...new Set(endpoint.ports.map((p) => p.protocol))].join("/"),
      direction: [...new Set(endpoint.ports.map((p) => p.direction))].join("/"),
      provenance: endpoint.provenance,
      ...(endpoint.notes !== undefined ? { notes: endpoint.notes } : {}),
    };
  });
  const retired = new Set([
    ...catalogue.endpoints.flatMap((e) => e.retiredIps.map((r) => r.ip)),
    ...catalogue.pools.flatMap((p) => p.retiredIps.map((r) => r.ip)),
  ]);
  const active = new Set([
    ...catalogue.endpoints.flatMap((e) => e.ips),
    ...catalogue.pools.flatMap((p) => p.ips),
  ]);
  return {
    catalogue: {
      id: catalogue.id,
      vendor: catalogue.vendor,
      product: catalogue.product,
      document: catalogue.document,
      review: catalogue.review,
    },
    counts: {
      endpoints: catalogue.endpoints.length,
      hostnames: new Set(catalogue.endpoints.flatMap((e) => (e.hostname ? [e.hostname] : []))).size,
      pools: catalogue.pools.length,
      feeds: catalogue.feeds.length,
      ipv4: ofFamily(new Set([...active, ...retired]), "ipv4"),
      retiredIpv4: ofFamily(retired, "ipv4"),
      ipv6: ofFamily(new Set([...active, ...retired]), "ipv6"),
      retiredIpv6: ofFamily(retired, "ipv6"),
    },
    endpoints,
    pools: catalogue.pools,
    feeds: catalogue.feeds,
    mentions: catalogue.mentions ?? [],
  };
}

/** How many of the addresses are of one family (an IPv6 address always has a colon). */
function ofFamily(addresses: Set<string>, family: "ipv4" | "ipv6"): number {
  return [...addresses].filter((ip) => ip.includes(":") === (family === "ipv6")).length;
}

/** One line: what the catalogue holds. */
export function describeCatalogue(listing: CatalogueListing): string {
  const { catalogue, counts } = listing;
  return (
    `${catalogue.id} (${catalogue.review}): ${counts.endpoints} endpoints, ` +
    `${counts.hostnames} hostnames, ${counts.pools} pools, ${counts.feeds} feeds, ` +
    `${counts.ipv4} IPv4 addresses (${counts.retiredIpv4} retired)` +
    (counts.ipv6 > 0 ? `, ${counts.ipv6} IPv6 addresses (${counts.retiredIpv6} retired)` : "") +
    "; " +
    `${catalogue.document.title}, issue ${catalogue.document.issue}`
  );
}

function portText(ports: PortSpec[]): string {
  return ports.map((p) => `${p.protocol}/${p.port} ${p.direction}`).join(", ");
}

function ipText(endpoint: EndpointListing): string {
  const parts: string[] = [];
  if (endpoint.pool !== null) parts.push(`pool ${endpoint.pool} (${endpoint.ips.length})`);
  else if (endpoint.ips.length > 0) parts.push(endpoint.ips.join(" "));
  if (endpoint.feed !== null) parts.push(`feed ${endpoint.feed}`);
  if (endpoint.retiredIps.length > 0 && endpoint.pool === null) {
    parts.push(`retired ${endpoint.retiredIps.map((r) => `${r.ip} (${r.retiredOn})`).join(" ")}`);
  }
  return parts.length > 0 ? parts.join("; ") : "-";
}

/** A plain-text table for people, then the pools, then a summary line. */
export function formatCatalogueTable(listing: CatalogueListing): string {
  const header = ["HOSTNAME", "SERVICE", "GROUP", "POLICY", "PORTS", "IPS"];
  const rows = listing.endpoints.map((e) => [
    e.hostname ?? (e.policy === "any-destination" ? "(any)" : "(internal)"),
    e.service,
    e.group,
    e.policy,
    portText(e.ports),
    ipText(e),
  ]);
  const lines = alignColumns([header, ...rows]);
  if (listing.pools.length > 0) {
    lines.push("", "POOLS");
    for (const pool of listing.pools) {
      lines.push(`${pool.id} (${pool.ips.length}): ${pool.ips.join(" ")}`);
      if (pool.retiredIps.length > 0) {
        const retired = pool.retiredIps.map((r) => `${r.ip} (${r.retiredOn})`).join(" ");
        lines.push(`  retired: ${retired}`);
      }
    }
  }
  if (listing.feeds.length > 0) {
    lines.push("", "FEEDS");
    for (const feed of listing.feeds) lines.push(`${feed.id}: ${feed.url}`);
  }
  lines.push("", describeCatalogue(listing));
  return `${lines.join("\n")}\n`;
}

function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
