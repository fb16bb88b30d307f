import { addressFamily } from "#shared/domain/addresses";
import type { HostObservation } from "#shared/domain/observation";
import type { GroupAllowlist } from "./build";

/**
 * Common firewall limits an allowlist can outgrow:
 * - `fqdnObjectAddresses`: addresses a firewall keeps per FQDN object (PAN-OS: 32 per family);
 *   a hostname that resolves to more is only partly allowed by an FQDN rule.
 * - `securityGroupRules`: rules per AWS security group and direction (default quota 60, counted
 *   per family): one rule per address or prefix and protocol/port.
 * - `prefixListEntries`: entries of an AWS customer-managed prefix list (one family each; at most
 *   1,000); a prefix list referenced by a security group counts its max entries as rules.
 * - `wafIpSetAddresses`: addresses of an AWS WAF IP set (one IP version each; 10,000).
 * - `networkFirewallIpSetCidrs`: CIDRs AWS Network Firewall resolves from the IP set references of
 *   one firewall, both families (1,000,000): a group's list is part of that budget.
 */
export interface AllowlistLimits {
  fqdnObjectAddresses: number;
  securityGroupRules: number;
  prefixListEntries: number;
  wafIpSetAddresses: number;
  networkFirewallIpSetCidrs: number;
}

/** A firewall limit the allowlist has grown past (`fqdnWarnings`, `securityGroupWarnings`). */
export interface AllowlistWarning {
  kind:
    | "fqdn-object-addresses"
    | "security-group-rules"
    | "prefix-list-entries"
    | "waf-ip-set-addresses"
    | "network-firewall-ip-set-cidrs";
  /** What is counted: a hostname (FQDN object) or a group (security group). */
  scope: string;
  size: number;
  limit: number;
  message: string;
}

export const DEFAULT_ALLOWLIST_LIMITS: AllowlistLimits = {
  fqdnObjectAddresses: 32,
  securityGroupRules: 60,
  prefixListEntries: 1000,
  wafIpSetAddresses: 10_000,
  networkFirewallIpSetCidrs: 1_000_000,
};

/** The observed set of a hostname beyond the FQDN object limit, per family. */
export function fqdnWarnings(
  observation: Pick<HostObservation, "hostname" | "active">,
  limits: AllowlistLimits,
): AllowlistWarning[] {
  const warnings: AllowlistWarning[] = [];
  for (const family of [4, 6] as const) {
    const size = observation.active.filter((ip) => ip.family === family).length;
    if (size > limits.fqdnObjectAddresses) {
      warnings.push({
        kind: "fqdn-object-addresses",
        scope: observation.hostname,
        size,
        limit: limits.fqdnObjectAddresses,
        message:
          `${observation.hostname} now resolves to ${size} IPv${family} addresses, more than the ` +
          `${limits.fqdnObjectAddresses} a firewall FQDN object holds: an FQDN rule allows only ` +
          "part of them; use the allowlist file (EDL) instead.",
      });
    }
  }
  return warnings;
}

/** Rules a security group needs for the group's allowlist, beyond the quota, per family. */
export function securityGroupWarnings(
  allowlist: GroupAllowlist,
  limits: AllowlistLimits,
): AllowlistWarning[] {
  const portProtocols = new Set(allowlist.ports.map((p) => `${p.protocol}/${p.port}`)).size;
  const warnings: AllowlistWarning[] = [];
  for (const family of [4, 6] as const) {
    const addresses = allowlist.addresses.filter((a) => addressFamily(a) === family).length;
    const size = addresses * portProtocols;
    if (size > limits.securityGroupRules) {
      warnings.push({
        kind: "security-group-rules",
        scope: allowlist.group,
        size,
        limit: limits.securityGroupRules,
        message:
          `The ${allowlist.group} allowlist needs ${size} IPv${family} security-group rules ` +
          `(${addresses} addresses x ${portProtocols} ports), more than the quota of ` +
          `${limits.securityGroupRules}: use a managed prefix list or a firewall with an EDL.`,
      });
    }
  }
  return warnings;
}

/** Every size warning of a group's allowlist: security group, prefix list, WAF, Network Firewall. */
export function allowlistSizeWarnings(
  allowlist: GroupAllowlist,
  limits: AllowlistLimits,
): AllowlistWarning[] {
  return [...securityGroupWarnings(allowlist, limits), ...entryWarnings(allowlist, limits)];
}

/** Prefix lists and WAF IP sets hold one family each; Network Firewall counts both together. */
function entryWarnings(allowlist: GroupAllowlist, limits: AllowlistLimits): AllowlistWarning[] {
  const byFamily = {
    4: allowlist.addresses.filter((a) => addressFamily(a) === 4).length,
    6: allowlist.addresses.filter((a) => addressFamily(a) === 6).length,
  };
  const group = allowlist.group;
  const warnings: AllowlistWarning[] = [];
  for (const family of [4, 6] as const) {
    const size = byFamily[family];
    if (size > limits.prefixListEntries) {
      warnings.push({
        kind: "prefix-list-entries",
        scope: group,
        size,
        limit: limits.prefixListEntries,
        message:
          `The ${group} allowlist has ${size} IPv${family} entries, more than the ` +
          `${limits.prefixListEntries} a managed prefix list holds: split it across prefix lists ` +
          "or turn on the group option aggregate.",
      });
    }
    if (size > limits.wafIpSetAddresses) {
      warnings.push({
        kind: "waf-ip-set-addresses",
        scope: group,
        size,
        limit: limits.wafIpSetAddresses,
        message:
          `The ${group} allowlist has ${size} IPv${family} entries, more than the ` +
          `${limits.wafIpSetAddresses} an AWS WAF IP set holds: split it across IP sets.`,
      });
    }
  }
  const total = byFamily[4] + byFamily[6];
  if (total > limits.networkFirewallIpSetCidrs) {
    warnings.push({
      kind: "network-firewall-ip-set-cidrs",
      scope: group,
      size: total,
      limit: limits.networkFirewallIpSetCidrs,
      message:
        `The ${group} allowlist has ${total} entries, more than the ` +
        `${limits.networkFirewallIpSetCidrs} CIDRs Network Firewall resolves from the IP set ` +
        "references of one firewall.",
    });
  }
  return warnings;
}
