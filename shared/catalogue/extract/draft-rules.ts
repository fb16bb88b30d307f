import type { Block } from "#shared/catalogue/extract/analyse-block";
import { URL_PATTERN } from "#shared/catalogue/extract/find-addresses";
import type { SectionPorts } from "#shared/catalogue/extract/host-ports";
import { slug } from "#shared/catalogue/extract/slug";
import type { Section } from "#shared/catalogue/extract/split-sections";
import { uniquePorts } from "#shared/catalogue/extract/unique";
import type { ExpectationPolicy, Mention } from "#shared/catalogue/schema";

/** The rules `DraftBuilder` applies to one block: its hosts, policy, purpose, feed. */

const ROTATING_CUE = /subject to change|changes? frequently|dynamic(ally)?|rotat/i;

/** The IPs and CIDR ranges documented for a host or a set of hosts. */
export interface Addresses {
  ips: string[];
  ranges: string[];
}

/** A block's hostnames and wildcard domains, in order. */
export function hostsOf(block: Block): string[] {
  return [...block.hostnames, ...block.wildcards];
}

/** Ports the section's prose lines name (the lines without rows), with the first such line. */
export function portsOfProse(section: Section): SectionPorts | undefined {
  const lines = section.blocks.filter((b) => b.kind === "line" && b.ports.length > 0);
  const first = lines[0];
  if (first === undefined) return undefined;
  return { ports: uniquePorts(lines.flatMap((b) => b.ports)), line: first.line };
}

export function policyOf(
  block: Block,
  own: Addresses,
  pool: string | undefined,
  wildcard: boolean,
): ExpectationPolicy {
  if (wildcard) return "wildcard-domain";
  if (pool !== undefined) return "pool";
  if (own.ips.length > 0) return "pinned";
  const feed = feedCue(block.urls);
  if (feed !== undefined) return feed;
  if (ROTATING_CUE.test(block.text)) return "rotating";
  return "hostname-only";
}

export function mentionKind(value: string): Mention["kind"] {
  if (value.startsWith("*.")) return "wildcard";
  const v6 = value.includes(":");
  if (value.includes("/")) return v6 ? "ipv6-range" : "ipv4-range";
  if (/^[\d.]+$/.test(value)) return "ipv4";
  return v6 ? "ipv6" : "hostname";
}

export function feedCue(urls: string[]): "cloudfront" | "aws-ip-ranges" | undefined {
  for (const url of urls) {
    if (/ip-ranges\.amazonaws\.com/i.test(url)) return "aws-ip-ranges";
    if (/cloudfront-ips|cloudfront\.net\/tools/i.test(url)) return "cloudfront";
  }
  return undefined;
}

export function purposeOf(block: Block, service: string): string {
  const text = block.details.replace(URL_PATTERN, " ").replace(/\s+/g, " ").trim();
  return text.length > 0 ? text.slice(0, 200) : service;
}

/**
 * The firewall group of a section's endpoints: its title as a slug, without the ports it names
 * in parentheses (`Updates (TCP 80, outbound)` → `updates`).
 */
export function groupOf(section: Section): string {
  return slug(section.title.replace(/\s*\([^)]*\)/g, "")) || slug(section.title) || "ungrouped";
}
