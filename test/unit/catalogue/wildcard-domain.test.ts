import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_CATALOGUE_PATH,
  loadCatalogueFile,
  validateCatalogue,
} from "#shared/catalogue/load";
import { type Catalogue, type Endpoint, resolvableHostnames } from "#shared/catalogue/schema";

function problemsOf(input: unknown): string[] {
  const validation = validateCatalogue(input);
  return validation.ok ? [] : validation.problems.map((p) => `${p.path}: ${p.message}`);
}

const WILDCARD = {
  id: "avira-apc/apc.avira.com",
  group: "avira-apc",
  service: "Avira Protection Cloud",
  purpose: "Cloud lookups",
  scope: "external",
  hostname: "*.apc.avira.com",
  ports: [{ protocol: "tcp", port: 443, direction: "out" }],
  policy: "wildcard-domain",
  ips: [],
  retiredIps: [],
  provenance: { document: "Ports", issue: "1", section: "Avira" },
} satisfies Endpoint;

describe("wildcard domains in the catalogue", () => {
  let shipped: Catalogue;
  beforeAll(async () => {
    shipped = await loadCatalogueFile(DEFAULT_CATALOGUE_PATH);
  });

  it("accepts a *.domain endpoint with policy wildcard-domain and never resolves it", () => {
    // Prepare
    const catalogue = { ...shipped, endpoints: [...shipped.endpoints, WILDCARD] };

    // Act
    const problems = problemsOf(catalogue);
    const hostnames = resolvableHostnames(catalogue);

    // Assess
    expect(problems).toEqual([]);
    expect(hostnames).toHaveLength(48);
    expect(hostnames.some((h) => h.includes("*"))).toBe(false);
  });

  it("refuses a wildcard under another policy, and the policy without a wildcard", () => {
    // Prepare
    const pinned = { ...WILDCARD, policy: "hostname-only" };
    const plain = { ...WILDCARD, hostname: "apc.avira.com" };
    const bad = { ...WILDCARD, id: "x/bad", hostname: "*.*.avira.com" };

    // Act
    const problems = [pinned, plain, bad].map((e) =>
      problemsOf({ ...shipped, endpoints: [...shipped.endpoints, e] }),
    );

    // Assess
    expect(problems).toEqual([
      [
        "endpoints[78].policy: a wildcard hostname (*.apc.avira.com) needs policy `wildcard-domain`",
      ],
      ["endpoints[78].policy: policy `wildcard-domain` needs a *.domain hostname"],
      [
        'endpoints[78].hostname: "*.*.avira.com": must be *. and a lower-case fully qualified domain',
      ],
    ]);
  });

  it("accepts canonical IPv6 addresses and network CIDRs of both families, names bad ones", () => {
    // Prepare
    const withV6 = {
      ...shipped.endpoints[2],
      ips: ["2001:db8::10"],
      ranges: ["192.0.2.0/24", "2001:db8::/32"],
    };
    const broken = { ...withV6, ips: ["2001:DB8:0::10"], ranges: ["192.0.2.1/24"] };

    // Act
    const ok = problemsOf({ ...shipped, endpoints: shipped.endpoints.with(2, withV6 as Endpoint) });
    const bad = problemsOf({
      ...shipped,
      endpoints: shipped.endpoints.with(2, broken as Endpoint),
    });

    // Assess
    expect(ok).toEqual([]);
    expect(bad).toEqual([
      'endpoints[2].ips[0]: "2001:DB8:0::10" is not an IPv6 address in canonical form (RFC 5952)',
      'endpoints[2].ranges[0]: "192.0.2.1/24" is not a CIDR range written as its network address (e.g. 192.0.2.0/24, 2001:db8::/32)',
    ]);
  });
});
