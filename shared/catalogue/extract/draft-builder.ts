import type { Block } from "#shared/catalogue/extract/analyse-block";
import { monthOf } from "#shared/catalogue/extract/document-meta";
import type { SourceLines } from "#shared/catalogue/extract/draft-facts";
import {
  type Addresses,
  feedCue,
  groupOf,
  hostsOf,
  mentionKind,
  policyOf,
  portsOfProse,
  purposeOf,
} from "#shared/catalogue/extract/draft-rules";
import { portsForHost, type SectionPorts } from "#shared/catalogue/extract/host-ports";
import { slug } from "#shared/catalogue/extract/slug";
import type { Section } from "#shared/catalogue/extract/split-sections";
import { unique } from "#shared/catalogue/extract/unique";
import {
  type Endpoint,
  type ExpectationPolicy,
  type ExtractedFact,
  type FeedSource,
  isWildcardDomain,
  type Mention,
  type Pool,
  type Provenance,
} from "#shared/catalogue/schema";

/**
 * Builds the draft's endpoints, pools, feeds and mentions section by section (steps 4 and 5 of
 * `extractCatalogueDraft`); every address it places is `known`, so none is mentioned twice.
 * Each endpoint and pool carries its facts: the line each value was read on, a confidence, and
 * what was assumed.
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
    private readonly lines: SourceLines,
  ) {}

  addSection(section: Section): void {
    const scope = /\binternal\b/i.test(section.title) ? "internal" : "external";
    const sectionPorts = portsOfProse(section);
    const looseHosts: Block[] = [];
    const loose: Addresses & { blocks: Block[] } = { ips: [], ranges: [], blocks: [] };
    const sectionHasAddresses = section.blocks.some((b) => hostsOf(b).length + b.ips.length > 0);
    for (const block of section.blocks) {
      const hosts = hostsOf(block);
      const addressed = block.ips.length + block.ranges.length > 0;
      if (hosts.length > 0 && (addressed || block.kind === "row")) {
        this.addHosts(
          section,
          block,
          { ips: block.ips, ranges: block.ranges },
          scope,
          sectionPorts,
        );
      } else if (hosts.length > 0) {
        looseHosts.push(block);
      } else if (block.ips.length > 0 && block.kind === "row") {
        this.addAddressOnlyRow(section, block, scope);
      } else if (addressed) {
        loose.ips.push(...block.ips);
        loose.ranges.push(...block.ranges);
        loose.blocks.push(block);
      } else if (block.ports.length > 0 && !block.consumed) {
        if (block.kind === "row" || !sectionHasAddresses) this.addPortOnly(section, block, scope);
      } else if (block.any && block.kind === "row") {
        this.addPortOnly(section, block, scope);
      }
    }
    if (looseHosts.length > 0) {
      const poolId =
        loose.blocks.length > 0 ? this.sectionPool(section, loose, looseHosts) : undefined;
      for (const block of looseHosts) {
        const none = { ips: [], ranges: [] };
        this.addHosts(section, block, none, scope, sectionPorts, poolId);
      }
    }
    for (const block of section.blocks) this.mentionUnplaced(section, block);
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
        const target = owner ?? this.pools.find((p) => p.ips.includes(newIp));
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
        this.mention(ip, reason, section, block);
      }
      for (const host of hostsOf(block)) {
        if (this.known.has(host)) continue;
        this.mention(host, `named only in "${section.title}"`, section, block);
      }
      this.mentionUnplaced(section, block);
    }
  }

  private addHosts(
    section: Section,
    block: Block,
    addresses: Addresses,
    scope: "internal" | "external",
    sectionPorts: SectionPorts | undefined,
    sectionPool?: string,
  ): void {
    const hosts = hostsOf(block);
    const named = hosts.filter((h) => !isWildcardDomain(h));
    const service = block.item ?? section.title;
    const { ips, ranges } = addresses;
    const single = named.length === 1 && sectionPool === undefined;
    let poolId = sectionPool;
    if (!single && ips.length + ranges.length > 0 && named.length > 0) {
      poolId = this.pool(service, addresses, section, block, block.item);
    }
    for (const host of hosts) {
      const wildcard = isWildcardDomain(host);
      const own = single && !wildcard ? addresses : { ips: [], ranges: [] };
      const hostPool = wildcard ? undefined : poolId;
      const policy = policyOf(block, own, hostPool, wildcard);
      const found = portsForHost(host, block, section, sectionPorts, this.lines);
      this.known.add(host);
      for (const value of [...own.ips, ...own.ranges]) this.known.add(value);
      this.endpoints.push({
        id: this.uniqueId(`${slug(service)}/${host.replace(/^\*\./, "")}`),
        group: groupOf(section),
        service,
        purpose: purposeOf(block, service),
        scope,
        hostname: host,
        ports: found.ports,
        policy,
        ips: policy === "pinned" ? own.ips : [],
        ...(own.ranges.length > 0 ? { ranges: own.ranges } : {}),
        ...(hostPool !== undefined ? { pool: hostPool } : {}),
        retiredIps: [],
        ...(policy === "cloudfront" || policy === "aws-ip-ranges" ? { feed: policy } : {}),
        provenance: this.provenance(section, block.item ?? host),
        ...(found.note ? { notes: found.note } : {}),
        facts: [
          this.lines.fact("hostname", host, block.lines.get(host) ?? block.line, "high"),
          ...found.facts,
          ...this.addressFacts(block, own),
          ...(hostPool !== undefined
            ? [this.lines.fact("pool", `pool ${hostPool}`, block.line, "medium")]
            : []),
          this.policyFact(block, policy, own),
        ],
      });
    }
    if (named.length === 0) this.mentionAddresses(section, block, addresses);
  }

  private addressFacts(block: Block | Block[], addresses: Addresses): ExtractedFact[] {
    const blocks = Array.isArray(block) ? block : [block];
    const at = (value: string) =>
      blocks.map((b) => b.lines.get(value)).find((l) => l !== undefined) ?? blocks[0]?.line ?? 1;
    return [
      ...addresses.ips.map((ip) => this.lines.fact("ip", ip, at(ip), "high")),
      ...addresses.ranges.map((range) => this.lines.fact("range", range, at(range), "high")),
    ];
  }

  private policyFact(block: Block, policy: ExpectationPolicy, own: Addresses): ExtractedFact {
    const rangesOnly = policy === "hostname-only" && own.ranges.length > 0;
    const assumed = rangesOnly
      ? "documented by CIDR ranges only, which the verdicts do not judge yet: choose the policy"
      : undefined;
    return this.lines.fact("policy", policy, block.line, "medium", assumed);
  }

  private addAddressOnlyRow(section: Section, block: Block, scope: "internal" | "external"): void {
    const found = portsForHost("", block, section, undefined, this.lines);
    const service = block.item ?? section.title;
    for (const ip of block.ips) this.known.add(ip);
    const policy = scope === "internal" ? "internal" : "any-destination";
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service)}`),
      group: groupOf(section),
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports: found.ports,
      policy,
      ips: block.ips,
      retiredIps: [],
      provenance: this.provenance(section, service),
      notes: ["IP addresses without a hostname: review the policy.", found.note]
        .filter(Boolean)
        .join(" "),
      facts: [
        ...found.facts,
        ...this.addressFacts(block, { ips: block.ips, ranges: [] }),
        this.lines.fact("policy", policy, block.line, "low", "IP addresses without a hostname"),
      ],
    });
  }

  private addPortOnly(section: Section, block: Block, scope: "internal" | "external"): void {
    if (block.ports.length === 0) return;
    const service = block.item ?? section.title;
    const policy = scope === "internal" && !block.any ? "internal" : "any-destination";
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service) || "ports"}`),
      group: groupOf(section),
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports: block.ports,
      policy,
      ips: [],
      retiredIps: [],
      provenance: this.provenance(section, service),
      facts: [
        ...block.ports.map((p) =>
          this.lines.fact("port", `${p.protocol}/${p.port}/${p.direction}`, block.line, "high"),
        ),
        this.lines.fact("policy", policy, block.line, "medium"),
      ],
    });
  }

  /** The pool of a section's address list, which serves its hosts listed without addresses. */
  private sectionPool(section: Section, loose: Addresses & { blocks: Block[] }, hosts: Block[]) {
    const first = loose.blocks[0] as Block;
    const names = hosts.flatMap(hostsOf).filter((h) => !isWildcardDomain(h));
    const label = section.title.replace(/\s*\([^)]*\)/g, "") || section.title;
    const id = this.pool(label, loose, section, loose.blocks);
    const pool = this.pools.find((p) => p.id === id);
    pool?.facts?.push(
      this.lines.fact(
        "pool",
        `pool ${id}`,
        first.line,
        "medium",
        `the address list of "${section.title}" is taken to serve each of its hosts (${names.join(", ")})`,
      ),
    );
    return id;
  }

  /** A pool for addresses documented for several hosts; reuses a pool with the same set. */
  private pool(
    label: string,
    addresses: Addresses,
    section: Section,
    block: Block | Block[],
    item?: string,
  ) {
    const ips = unique(addresses.ips);
    const ranges = unique(addresses.ranges);
    for (const value of [...ips, ...ranges]) this.known.add(value);
    const key = (values: string[]) => [...values].sort().join(" ");
    const same = this.pools.find(
      (p) => key(p.ips) === key(ips) && key(p.ranges ?? []) === key(ranges),
    );
    if (same !== undefined) return same.id;
    let id = slug(label) || "pool";
    for (let n = 2; this.pools.some((p) => p.id === id); n++) id = `${slug(label)}-${n}`;
    this.pools.push({
      id,
      description: `IPs documented for the hosts of "${item ?? section.title}"`,
      ips,
      ...(ranges.length > 0 ? { ranges } : {}),
      retiredIps: [],
      provenance: this.provenance(section, item),
      facts: this.addressFacts(block, { ips, ranges }),
    });
    return id;
  }

  /** Feed URLs become feeds; other URL hosts, and addresses placed nowhere, mentions. */
  private mentionUnplaced(section: Section, block: Block): void {
    for (const url of block.urls) {
      const feed = feedCue([url]);
      let host: string;
      try {
        host = new URL(url).hostname.toLowerCase();
      } catch {
        continue;
      }
      if (feed !== undefined) {
        this.known.add(host);
        if (!this.feeds.some((f) => f.id === feed)) {
          this.feeds.push({ id: feed, url, provenance: this.provenance(section, block.item) });
        }
      } else if (!this.known.has(host)) {
        this.mention(host, `host of the URL ${url}`, section, block);
      }
    }
    const unplaced = [...block.ips, ...block.ranges].filter((v) => !this.known.has(v));
    for (const value of unplaced) {
      const range = value.includes("/");
      const what = range ? "CIDR range" : "IP address";
      this.mention(
        value,
        `${what} without a hostname in "${section.title}": review`,
        section,
        block,
      );
    }
  }

  private mentionAddresses(section: Section, block: Block, addresses: Addresses): void {
    for (const value of [...addresses.ips, ...addresses.ranges]) {
      if (this.known.has(value)) continue;
      this.mention(
        value,
        `on the row of a wildcard domain in "${section.title}": review`,
        section,
        block,
      );
    }
  }

  private mention(value: string, reason: string, section: Section, block: Block): void {
    if (this.mentions.some((m) => m.value === value)) return;
    this.known.add(value);
    this.mentions.push({
      value,
      kind: mentionKind(value),
      reason,
      provenance: this.provenance(section, block.item),
      line: block.lines.get(value) ?? block.line,
    });
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
