import { beforeAll, describe, expect, it } from "vitest";
import { describeCatalogue, listCatalogue } from "#shared/catalogue/listing";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

describe("catalogue listing counts", () => {
  let shipped: Catalogue;
  beforeAll(async () => {
    shipped = await loadCatalogueFile();
  });

  it("counts IPv6 addresses apart from the IPv4 ones", () => {
    // Prepare: the shipped catalogue with an IPv6 address on a pinned endpoint and a retired one.
    const catalogue = structuredClone(shipped);
    const pinned = catalogue.endpoints.find((e) => e.policy === "pinned");
    if (pinned === undefined) throw new Error("the shipped catalogue has a pinned endpoint");
    pinned.ips.push("2001:db8::10");
    pinned.retiredIps.push({ ip: "2001:db8::9", retiredOn: "2025-01" });

    // Act
    const before = listCatalogue(shipped).counts;
    const after = listCatalogue(catalogue).counts;

    // Assess
    expect(before).toMatchObject({ ipv4: 104, retiredIpv4: 7, ipv6: 0, retiredIpv6: 0 });
    expect(after).toMatchObject({ ipv4: 104, retiredIpv4: 7, ipv6: 2, retiredIpv6: 1 });
    expect(describeCatalogue(listCatalogue(catalogue))).toContain(
      "104 IPv4 addresses (7 retired), 2 IPv6 addresses (1 retired);",
    );
    expect(describeCatalogue(listCatalogue(shipped))).not.toContain("IPv6");
  });
});
