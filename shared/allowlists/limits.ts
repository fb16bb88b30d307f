import { addressFamily } from "#shared/domain/addresses";
import type { HostObservation } from "#shared/domain/observation";
import type { GroupAllowlist } from "./build";

/**
 * Common firewall limits an allowlist can outgrow:
 * - `fqdnObjectAddresses`: addresses a firewall keeps per FQDN object (PAN-OS: 32 per family);
 *   a hostname that resolves to more is only partly allowed by an FQDN rule.
 * - `securityGroupRules`: rules per AWS security group and direction (default quota 60, counted
 *   per family): one rule per address or prefix and protocol/port.
 */
export interface AllowlistLimits {
  fqdnObjectAddresses: number;
  securityGroupRules: number;
}

/** A firewall limit the allowlist has grown past (`fqdnWarnings`, `securityGroupWarnings`). */
export interface AllowlistWarning {
  kind: "fqdn-object-addresses" | "security-group-rules";
  /** What is counted: a hostname (FQDN object) or a group (security group). */
  scope: string;
  size: number;
  limit: number;
  message: string;
}

export const DEFAULT_ALLOWLIST_LIMITS: AllowlistLimits = {
  fqdnObjectAddresses: 32,
  securityGroupRules: 60,
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
