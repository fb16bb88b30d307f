import type { Block } from "#shared/catalogue/extract/analyse-block";
import { monthOf } from "#shared/catalogue/extract/document-meta";
import { URL_PATTERN } from "#shared/catalogue/extract/find-addresses";
import { slug } from "#shared/catalogue/extract/slug";
import type { Section } from "#shared/catalogue/extract/split-sections";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type {
  Endpoint,
  ExpectationPolicy,
  FeedSource,
  Mention,
  Pool,
  PortSpec,
  Provenance,
} from "#shared/catalogue/schema";

const ROTATING_CUE = /subject to change|changes? frequently|dynamic(ally)?|rotat/i;

/**
 * Builds the draft's endpoints, pools, feeds and mentions section by section (steps 4 and 5 of
 * `extractCatalogueDraft`); every address it places is `known`, so none is mentioned twice.
 */
export class DraftBuilder {
  readonly endpoints: Endpoint[] = [];
  readonly pools: Pool[] = [];
  readonly feeds: FeedSource[] = [];
  readonly mentions: Mention[] = [];
  private readonly ids = new Set<string>();
  private readonly known = new Set<string>();

  constructor(
    private readonly title: string,
    private readonly issue: string,
  ) {}

  addSection(section: Section): void {
    const scope = /\binternal\b/i.test(section.title) ? "internal" : "external";
    const sectionPorts = uniquePorts(
      section.blocks.filter((b) => b.kind === "line").flatMap((b) => b.ports),
    );
    const looseHosts: Block[] = [];
    const looseIps: string[] = [];
    let sectionHasAddresses = false;

    for (const block of section.blocks) {
      this.addUrls(section, block);
      this.addRanges(section, block);
      if (block.hostnames.length > 0 || block.ips.length > 0) sectionHasAddresses = true;
    }
    for (const block of section.blocks) {
      const hosts = block.hostnames;
      if (hosts.length > 0 && (block.ips.length > 0 || block.kind === "row")) {
        this.addHosts(section, block, hosts, block.ips, scope, sectionPorts);
      } else if (hosts.length > 0) {
        looseHosts.push(block);
      } else if (block.ips.length > 0 && block.kind === "row") {
        this.addAddressOnlyRow(section, block, scope);
      } else if (block.ips.length > 0) {
        looseIps.push(...block.ips);
      } else if (block.ports.length > 0 && !block.consumed) {
        if (block.kind === "row" || !sectionHasAddresses) this.addPortOnly(section, block, scope);
      } else if (block.any && block.kind === "row") {
        this.addPortOnly(section, block, scope);
      }
    }

    if (looseHosts.length > 0) {
      const poolId = looseIps.length > 0 ? this.pool(section.title, looseIps, section) : undefined;
      for (const block of looseHosts) {
        this.addHosts(section, block, block.hostnames, [], scope, sectionPorts, poolId);
      }
    } else if (looseIps.length > 0) {
      for (const ip of unique(looseIps)) {
        this.mention(ip, "ipv4", `IPv4 address without a hostname in "${section.title}"`, section);
      }
    }
  }

  addHistory(section: Section): void {
    for (const block of section.blocks) {
      const when = monthOf(block.text);
      const retiring = /\bretire|\bdecommission|\bremov|\breplac|\bold address/i.test(block.text);
      for (const m of block.text.matchAll(
        /\bfrom\s+((?:\d{1,3}\.){3}\d{1,3})\s+to\s+((?:\d{1,3}\.){3}\d{1,3})/gi,
      )) {
        const [, oldIp, newIp] = m;
        if (!oldIp || !newIp || this.known.has(oldIp) || when === undefined) continue;
        const owner = this.endpoints.find((e) => e.ips.includes(newIp));
        const pool = this.pools.find((p) => p.ips.includes(newIp));
        const target = owner ?? pool;
        if (target === undefined) continue;
        target.retiredIps.push({
          ip: oldIp,
          retiredOn: when,
          note: `${section.title}: ${block.text.trim()}`.slice(0, 300),
        });
        this.known.add(oldIp);
      }
      for (const ip of block.ips) {
        if (this.known.has(ip)) continue;
        const reason = retiring
          ? `named as retired in "${section.title}"${when ? ` (${when})` : ""}; review which endpoint or pool it belonged to`
          : `named in "${section.title}"${when ? ` (${when})` : ""}; not found elsewhere in the document`;
        this.mention(ip, "ipv4", reason, section, block.item);
      }
      for (const host of block.hostnames) {
        if (this.known.has(host)) continue;
        this.mention(host, "hostname", `named only in "${section.title}"`, section, block.item);
      }
      this.addRanges(section, block);
      this.addUrls(section, block);
    }
  }

  private addHosts(
    section: Section,
    block: Block,
    hosts: string[],
    ips: string[],
    scope: "internal" | "external",
    sectionPorts: PortSpec[],
    sectionPool?: string,
  ): void {
    const { ports, note } = this.portsFor(section, block, sectionPorts);
    const service = block.item ?? section.title;
    const feed = feedCue(block.urls);
    let policy: ExpectationPolicy = "hostname-only";
    let poolId = sectionPool;
    if (ips.length > 0 && hosts.length === 1) policy = "pinned";
    else if (ips.length > 0) poolId = this.pool(service, ips, section, block.item);
    if (poolId !== undefined) policy = "pool";
    else if (ips.length === 0 && feed !== undefined) policy = feed;
    else if (ips.length === 0 && ROTATING_CUE.test(block.text)) policy = "rotating";
    for (const host of hosts) {
      this.known.add(host);
      for (const ip of ips) this.known.add(ip);
      this.endpoints.push({
        id: this.uniqueId(`${slug(service)}/${host}`),
        group: slug(section.title) || "ungrouped",
        service,
        purpose: purposeOf(block, service),
        scope,
        hostname: host,
        ports,
        policy,
        ips: policy === "pinned" ? ips : [],
        ...(poolId !== undefined ? { pool: poolId } : {}),
        retiredIps: [],
        ...(policy === "cloudfront" || policy === "aws-ip-ranges" ? { feed: policy } : {}),
        provenance: this.provenance(section, block.item ?? host),
        ...(note ? { notes: note } : {}),
      });
    }
  }

  private addAddressOnlyRow(section: Section, block: Block, scope: "internal" | "external"): void {
    const { ports, note } = this.portsFor(section, block, []);
    const service = block.item ?? section.title;
    for (const ip of block.ips) this.known.add(ip);
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service)}`),
      group: slug(section.title) || "ungrouped",
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports,
      policy: scope === "internal" ? "internal" : "any-destination",
      ips: block.ips,
      retiredIps: [],
      provenance: this.provenance(section, service),
      notes: ["IPv4 addresses without a hostname: review the policy.", note]
        .filter(Boolean)
        .join(" "),
    });
  }

  private addPortOnly(section: Section, block: Block, scope: "internal" | "external"): void {
    if (block.ports.length === 0) return;
    const service = block.item ?? section.title;
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service) || "ports"}`),
      group: slug(section.title) || "ungrouped",
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports: block.ports,
      policy: scope === "internal" && !block.any ? "internal" : "any-destination",
      ips: [],
      retiredIps: [],
      provenance: this.provenance(section, service),
    });
  }

  private portsFor(
    section: Section,
    block: Block,
    sectionPorts: PortSpec[],
  ): { ports: PortSpec[]; note?: string } {
    if (block.ports.length > 0) return { ports: block.ports };
    if (sectionPorts.length > 0)
      return { ports: sectionPorts, note: "Ports from the section text." };
    const lent = section.lentPorts[0];
    if (lent !== undefined) {
      return {
        ports: lent.ports,
        note: `Ports from the row "${lent.from}" that refers to this section.`,
      };
    }
    return {
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      note: "No port found near this hostname; tcp/443 assumed: check.",
    };
  }

  /** A pool for IPs documented for several hosts; reuses a pool with the same IP set. */
  private pool(label: string, ips: string[], section: Section, item?: string): string {
    const set = unique(ips);
    for (const ip of set) this.known.add(ip);
    const same = this.pools.find(
      (p) => p.ips.length === set.length && p.ips.every((ip) => set.includes(ip)),
    );
    if (same !== undefined) return same.id;
    let id = slug(label) || "pool";
    for (let n = 2; this.pools.some((p) => p.id === id); n++) id = `${slug(label)}-${n}`;
    this.pools.push({
      id,
      description: `IPs documented for the hosts of "${item ?? section.title}"`,
      ips: set,
      retiredIps: [],
      provenance: this.provenance(section, item),
    });
    return id;
  }

  private addUrls(section: Section, block: Block): void {
    for (const url of block.urls) {
      let host: string;
      try {
        host = new URL(url).hostname.toLowerCase();
      } catch {
        continue;
      }
      const feed = feedCue([url]);
      if (feed !== undefined) {
        this.known.add(host);
        if (!this.feeds.some((f) => f.id === feed)) {
          this.feeds.push({ id: feed, url, provenance: this.provenance(section, block.item) });
        }
        continue;
      }
      if (this.known.has(host)) continue;
      this.mention(host, "hostname", `host of the URL ${url}`, section, block.item);
    }
  }

  private addRanges(section: Section, block: Block): void {
    for (const range of block.ranges) {
      this.mention(
        range,
        "ipv4-range",
        `CIDR range in "${section.title}": review`,
        section,
        block.item,
      );
    }
  }

  private mention(
    value: string,
    kind: Mention["kind"],
    reason: string,
    section: Section,
    item?: string,
  ): void {
    if (this.mentions.some((m) => m.value === value)) return;
    this.known.add(value);
    this.mentions.push({ value, kind, reason, provenance: this.provenance(section, item) });
  }

  private provenance(section: Section, item?: string): Provenance {
    return {
      document: this.title,
      issue: this.issue,
      section: section.title,
      ...(item ? { item } : {}),
    };
  }

  private uniqueId(base: string): string {
    let id = base.replace(/^[^a-z0-9]+/, "") || "endpoint";
    for (let n = 2; this.ids.has(id); n++) id = `${base}-${n}`;
    this.ids.add(id);
    return id;
  }
}

function feedCue(urls: string[]): "cloudfront" | "aws-ip-ranges" | undefined {
  for (const url of urls) {
    if (/ip-ranges\.amazonaws\.com/i.test(url)) return "aws-ip-ranges";
    if (/cloudfront-ips|cloudfront\.net\/tools/i.test(url)) return "cloudfront";
  }
  return undefined;
}

function purposeOf(block: Block, service: string): string {
  const text = block.details.replace(URL_PATTERN, " ").replace(/\s+/g, " ").trim();
  return text.length > 0 ? text.slice(0, 200) : service;
}
