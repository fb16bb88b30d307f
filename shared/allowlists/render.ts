import { describePorts, type GroupAllowlist } from "./build";

/**
 * The two files of a group's allowlist. Both are functions of the content and of `generatedAt`,
 * the time the content last changed (not the time of the run): an unchanged list renders to the
 * same bytes, so it is not rewritten and firewalls polling it see no change.
 */
export function allowlistKeys(group: string): { txt: string; json: string } {
  return { txt: `allowlists/${group}.txt`, json: `allowlists/${group}.json` };
}

/**
 * External Dynamic List: a `#` comment header (group, ports, generation time), then one IP or
 * CIDR per line, IPv4 before IPv6, in numeric order.
 */
export function renderEdl(allowlist: GroupAllowlist, generatedAt: string): string {
  const header = [
    `# driftwatch allowlist for firewall group ${allowlist.group} (catalogue ${allowlist.catalogueId})`,
    `# ports: ${describePorts(allowlist.ports)}`,
    `# generated: ${generatedAt} (when this content last changed)`,
    `# entries: ${allowlist.addresses.length}; content sha256: ${allowlist.contentSha256}`,
  ];
  return `${[...header, ...allowlist.addresses].join("\n")}\n`;
}

/**
 * The domain lists of a group with names allowed by name only (`GroupAllowlist.domains`):
 * `domains` for PAN-OS domain EDLs and FQDN-based firewalls (`*.apc.avira.com`, with a `#`
 * header like the IP EDL), `networkFirewall` for AWS Network Firewall domain list rule groups
 * (`.apc.avira.com`: the leading dot matches the domain and every subdomain; no header, one
 * target per line).
 */
export function domainListKeys(group: string): { domains: string; networkFirewall: string } {
  return {
    domains: `allowlists/${group}.domains.txt`,
    networkFirewall: `allowlists/${group}.network-firewall-domains.txt`,
  };
}

/** `renderDomainList(list, at, "edl")` / `"network-firewall"`: see `domainListKeys`. */
export function renderDomainList(
  allowlist: GroupAllowlist,
  generatedAt: string,
  syntax: "edl" | "network-firewall",
): string {
  const domains = allowlist.domains ?? [];
  if (syntax === "network-firewall") {
    const targets = domains.map((name) => (name.startsWith("*.") ? name.slice(1) : name));
    return targets.length === 0 ? "" : `${targets.join("\n")}\n`;
  }
  const header = [
    `# driftwatch domain list for firewall group ${allowlist.group} (catalogue ${allowlist.catalogueId})`,
    `# ports: ${describePorts(allowlist.ports)}`,
    `# generated: ${generatedAt} (when this content last changed)`,
    `# entries: ${domains.length}; content sha256: ${allowlist.contentSha256}`,
  ];
  return `${[...header, ...domains].join("\n")}\n`;
}

export const ALLOWLIST_JSON_SCHEMA_VERSION = 1;

/** The same list as JSON, with ports, protocols and each endpoint's policy and addresses. */
export function renderAllowlistJson(allowlist: GroupAllowlist, generatedAt: string): string {
  const document = {
    schemaVersion: ALLOWLIST_JSON_SCHEMA_VERSION,
    group: allowlist.group,
    catalogueId: allowlist.catalogueId,
    generatedAt,
    contentSha256: allowlist.contentSha256,
    ports: allowlist.ports,
    addresses: allowlist.addresses,
    ...(allowlist.aggregated === true ? { aggregated: true } : {}),
    ...(allowlist.domains === undefined ? {} : { domains: allowlist.domains }),
    endpoints: allowlist.endpoints,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
