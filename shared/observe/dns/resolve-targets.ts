import {
  type Catalogue,
  type ExpectationPolicy,
  resolvableHostnames,
} from "#shared/catalogue/schema";

export interface ResolveTarget {
  hostname: string;
  policy: ExpectationPolicy;
  /** The catalogue group of the endpoint (informational: the guards do not use it). */
  group?: string;
}

/**
 * Every hostname of the catalogue with the policy of each endpoint that names it; wildcard
 * domains (policy `wildcard-domain`) are not resolvable and are never targets.
 */
export function targetsFromCatalogue(catalogue: Catalogue): ResolveTarget[] {
  const hostnames = new Set(resolvableHostnames(catalogue));
  return catalogue.endpoints.flatMap((endpoint) =>
    endpoint.hostname !== null &&
    endpoint.policy !== "wildcard-domain" &&
    hostnames.has(endpoint.hostname)
      ? [{ hostname: endpoint.hostname, policy: endpoint.policy, group: endpoint.group }]
      : [],
  );
}

/**
 * The targets grouped by hostname (lower-cased), with the policies of every target naming it, in
 * hostname order: each hostname is resolved once, under the longest grace of its policies.
 */
export function hostnamePolicies(
  targets: readonly ResolveTarget[] | Catalogue,
): Map<string, ExpectationPolicy[]> {
  const list = Array.isArray(targets)
    ? (targets as readonly ResolveTarget[])
    : targetsFromCatalogue(targets as Catalogue);
  const policies = new Map<string, ExpectationPolicy[]>();
  for (const target of list) {
    const hostname = target.hostname.toLowerCase();
    policies.set(hostname, [...(policies.get(hostname) ?? []), target.policy]);
  }
  return new Map([...policies].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
