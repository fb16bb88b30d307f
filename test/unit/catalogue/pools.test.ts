import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/** The shipped catalogue's pools and policies hold together as the document describes them. */
describe("catalogue pools and policies", () => {
  let catalogue: Catalogue;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile();
  });

  function hostsOfPool(poolId: string): string[] {
    return catalogue.endpoints
      .filter((e) => e.pool === poolId)
      .map((e) => e.hostname ?? "")
      .sort();
  }

  it("models the four group-wide IP lists as pools with the documented sizes", () => {
    const sizes = Object.fromEntries(catalogue.pools.map((p) => [p.id, p.ips.length]));
    expect(sizes).toEqual({
      "av-update-mirrors": 4,
      "sophos-sandbox": 8,
      "spam-rule-updates": 27,
      trustmanager: 55,
    });
  });

  it("shares the AV mirror pool across the Avira, Kaspersky and Sophos update hosts", () => {
    const hosts = hostsOfPool("av-update-mirrors");
    expect(hosts).toHaveLength(12);
    expect(hosts.filter((h) => h.startsWith("aav-update-"))).toHaveLength(4);
    expect(hosts.filter((h) => h.startsWith("kav-update-8-"))).toHaveLength(4);
    expect(hosts.filter((h) => h.startsWith("sav-update-"))).toHaveLength(4);
    expect(hostsOfPool("sophos-sandbox")).toEqual([
      "apac.sandbox.sophos.com",
      "de.sandbox.sophos.com",
      "uk.sandbox.sophos.com",
      "us.sandbox.sophos.com",
    ]);
    expect(hostsOfPool("spam-rule-updates")).toHaveLength(6);
    expect(hostsOfPool("trustmanager")).toHaveLength(5);
  });

  it("uses every pool, and gives pooled endpoints no IPs of their own", () => {
    for (const pool of catalogue.pools) expect(hostsOfPool(pool.id).length).toBeGreaterThan(0);
    for (const endpoint of catalogue.endpoints.filter((e) => e.pool !== undefined)) {
      expect(endpoint.policy).toBe("pool");
      expect(endpoint.ips).toEqual([]);
    }
  });

  it("lists each IP once per pool and never both as active and retired", () => {
    const active = new Set([
      ...catalogue.pools.flatMap((p) => p.ips),
      ...catalogue.endpoints.flatMap((e) => e.ips),
    ]);
    for (const pool of catalogue.pools) expect(new Set(pool.ips).size).toBe(pool.ips.length);
    const retired = [
      ...catalogue.pools.flatMap((p) => p.retiredIps),
      ...catalogue.endpoints.flatMap((e) => e.retiredIps),
    ].map((r) => r.ip);
    expect(retired.filter((ip) => active.has(ip))).toEqual([]);
  });

  it("keeps the one address the spam and TRUSTmanager lists share in both pools", () => {
    const spam = new Set(catalogue.pools.find((p) => p.id === "spam-rule-updates")?.ips);
    const trust = catalogue.pools.find((p) => p.id === "trustmanager")?.ips ?? [];
    expect(trust.filter((ip) => spam.has(ip))).toEqual(["209.157.64.166"]);
  });

  it("gives each endpoint the policy its row documents", () => {
    const policyOf = (host: string) => catalogue.endpoints.find((e) => e.hostname === host)?.policy;
    const hostsWith = (policy: string) =>
      catalogue.endpoints
        .filter((e) => e.policy === policy)
        .map((e) => e.hostname)
        .sort();

    expect(hostsWith("cloudfront")).toEqual(["products.clearswift.net", "rh7-repo.clearswift.net"]);
    expect(hostsWith("aws-ip-ranges")).toEqual([
      "query-api.eu1.apc.avira.com",
      "services1.clearswift.net",
      "services2.clearswift.net",
      "services3.clearswift.net",
    ]);
    expect(hostsWith("rotating")).toEqual([
      "0.rhel.pool.ntp.org",
      "1.rhel.pool.ntp.org",
      "2.rhel.pool.ntp.org",
      "3.rhel.pool.ntp.org",
      "cls.sophosxl.net",
      "ksn-url.geoksn.kaspersky.com",
      "ksn1.kaspersky-labs.com",
      "ksn2.kaspersky-labs.com",
      "ksn3.kaspersky-labs.com",
      "ksn4.kaspersky-labs.com",
    ]);
    expect(hostsWith("hostname-only")).toEqual(["ra.swisssign.net"]);
    expect(policyOf("applianceupdate.clearswift.com")).toBe("pinned");
    expect(catalogue.endpoints.filter((e) => e.policy === "pinned").map((e) => e.ips)).toEqual([
      ["3.10.94.193"],
      ["23.185.0.1"],
      ["45.79.132.16"],
      ["40.113.232.243"],
    ]);
  });

  it("points cloudfront and aws-ip-ranges endpoints at their feed", () => {
    for (const endpoint of catalogue.endpoints) {
      if (endpoint.policy === "cloudfront" || endpoint.policy === "aws-ip-ranges") {
        expect(endpoint.feed).toBe(endpoint.policy);
      } else {
        expect(endpoint.feed).toBeUndefined();
      }
    }
  });

  it("records the document's spellings: lower-cased names and the help host typo as written", () => {
    const help = catalogue.endpoints.find((e) => e.service === "Appliance online help");
    expect(help?.hostname).toBe("clearswifhelp.clearswift.com");
    expect(help?.notes).toMatch(/typo/);
    const products = catalogue.endpoints.find((e) => e.hostname === "products.clearswift.net");
    expect(products?.notes).toContain("Products.clearswift.net");
  });
});
