import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOGUE_PATH, loadCatalogueFile } from "#shared/catalogue/load";
import type { Endpoint } from "#shared/catalogue/schema";
import { hostnamePolicies, targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";

describe("resolve targets", () => {
  it("leaves wildcard domains out: they are never resolved", async () => {
    // Prepare
    const shipped = await loadCatalogueFile(DEFAULT_CATALOGUE_PATH);
    const wildcard = {
      ...(shipped.endpoints[2] as Endpoint),
      id: "avira/apc",
      hostname: "*.apc.avira.com",
      policy: "wildcard-domain",
      ips: [],
    } satisfies Endpoint;
    const catalogue = { ...shipped, endpoints: [...shipped.endpoints, wildcard] };

    // Act
    const targets = targetsFromCatalogue(catalogue);
    const policies = hostnamePolicies(catalogue);

    // Assess
    expect(targets.some((t) => t.policy === "wildcard-domain")).toBe(false);
    expect(targets.map((t) => t.hostname)).toEqual(
      targetsFromCatalogue(shipped).map((t) => t.hostname),
    );
    expect([...policies.keys()].filter((h) => h.includes("*"))).toEqual([]);
    expect(policies.size).toBe(48);
  });
});
