import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { parseZone, type Zone } from "#shared/adapters/local/zone-dns-server/zone";
import { GenerateEstateError, generateEstate } from "#shared/catalogue/generate/generate-estate";
import { hostCounts } from "#shared/catalogue/generate/generated-zone";
import {
  estateFiles,
  loopbackZoneText,
  rfc1035ZoneText,
} from "#shared/catalogue/generate/zone-files";
import { validateCatalogue } from "#shared/catalogue/load";
import { registeredDomain } from "#shared/observe/dns/sinkhole";

const inside = (ip: string, cidrs: string[]) =>
  cidrs.some((cidr) => ipaddr.parse(ip).match(ipaddr.parseCIDR(cidr)));

/** The records of an RFC 1035 master file written one per line: `owner ttl IN type value`. */
function rfc1035Records(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith(";") && !line.startsWith("$"))
    .map((line) => {
      const [owner = "", ttl, klass, type, ...rest] = line.split(" ");
      expect(klass).toBe("IN");
      return `${owner.replace(/\.$/, "")} ${ttl} ${type} ${rest.join(" ").replace(/\.$/, "")}`;
    });
}

/** The same records from the loopback server's parsed zone, one per address. */
function zoneRecords(zone: Zone): string[] {
  return [...zone.names.values()].flatMap((name) => [
    ...(name.cname ? [`${name.name} ${name.cname.ttl} CNAME ${name.cname.value}`] : []),
    ...name.a.map((r) => `${name.name} ${r.ttl} A ${r.value}`),
    ...name.aaaa.map((r) => `${name.name} ${r.ttl} AAAA ${r.value}`),
  ]);
}

describe("generated estate", () => {
  const estate = generateEstate({ hosts: 200, seed: 7 });
  const zone = parseZone(loopbackZoneText(estate));
  const endpoints = estate.catalogue.endpoints;
  const byKind = (kind: string) => endpoints.filter((e) => e.group.endsWith(`-${kind}`));

  it("has the mix of kinds: 30% pinned, 22% pool, 15% round-robin, 10% of each CNAME kind and dual-stack, 3% NXDOMAIN", () => {
    // Assess
    expect(estate.counts).toEqual({
      pinned: 60,
      pool: 44,
      "round-robin": 30,
      "cloudfront-cname": 20,
      "aws-cname-chain": 20,
      "dual-stack": 20,
      nxdomain: 6,
    });
    expect(endpoints).toHaveLength(200);
    expect(new Set(endpoints.map((e) => e.hostname)).size).toBe(200);
    const policies: Record<string, number> = {};
    for (const e of endpoints) policies[e.policy] = (policies[e.policy] ?? 0) + 1;
    expect(policies).toEqual({
      pinned: 60,
      pool: 44,
      rotating: 30,
      cloudfront: 20,
      "aws-ip-ranges": 20,
      "hostname-only": 26,
    });
  });

  it("gives every kind at least one host in a small estate, and the remainder to pinned", () => {
    // Assess
    expect(hostCounts(7)).toEqual({
      pinned: 1,
      pool: 1,
      "round-robin": 1,
      "cloudfront-cname": 1,
      "aws-cname-chain": 1,
      "dual-stack": 1,
      nxdomain: 1,
    });
    expect(Object.values(hostCounts(1001)).reduce((a, b) => a + b)).toBe(1001);
    expect(hostCounts(3).pinned).toBe(3);
  });

  it("is a valid catalogue", () => {
    // Act
    const validation = validateCatalogue(estate.catalogue);
    // Assess
    expect(validation.ok ? [] : validation.problems).toEqual([]);
  });

  it("answers each kind as its policy expects, in the loopback server's zone", () => {
    // Prepare
    const pools = new Map(estate.catalogue.pools.map((pool) => [pool.id, pool.ips]));
    const final = (hostname: string, hops: number) => {
      let name = zone.names.get(hostname);
      for (let hop = 0; hop < hops; hop++) name = zone.names.get(name?.cname?.value ?? "");
      return name;
    };
    // Assess
    for (const e of byKind("pinned")) {
      expect(zone.names.get(e.hostname ?? "")?.a.map((r) => r.value)).toEqual(e.ips);
    }
    for (const e of byKind("pool")) {
      const served = zone.names.get(e.hostname ?? "")?.a.map((r) => r.value) ?? [];
      expect(served.length).toBeGreaterThan(0);
      expect(pools.get(e.pool ?? "")).toEqual(expect.arrayContaining(served));
    }
    for (const e of byKind("round-robin")) {
      const name = zone.names.get(e.hostname ?? "");
      expect(name?.roundRobin).toBe(3);
      expect(name?.a.length).toBeGreaterThanOrEqual(6);
    }
    for (const e of byKind("cloudfront-cname")) {
      const target = final(e.hostname ?? "", 1);
      expect(target?.name).toMatch(/^d[a-z0-9]+\.cloudfront\.net$/);
      for (const r of target?.a ?? []) expect(inside(r.value, ["13.32.0.0/15"])).toBe(true);
    }
    for (const e of byKind("aws-cname-chain")) {
      const elb = final(e.hostname ?? "", 2);
      expect(elb?.name).toMatch(/\.us-east-1\.elb\.amazonaws\.com$/);
      for (const r of elb?.a ?? []) expect(inside(r.value, ["44.192.0.0/11"])).toBe(true);
      for (const r of elb?.aaaa ?? []) expect(inside(r.value, ["2600:1f18::/33"])).toBe(true);
    }
    for (const e of byKind("dual-stack")) {
      const name = zone.names.get(e.hostname ?? "");
      expect(name?.a.length).toBeGreaterThan(0);
      expect(name?.aaaa.length).toBeGreaterThan(0);
    }
    for (const e of byKind("nxdomain")) {
      expect(zone.names.get(e.hostname ?? "")?.behaviour).toEqual({ kind: "nxdomain" });
    }
  });

  it("serves only public addresses, none of them for hostnames of two vendor domains", () => {
    // Prepare
    const domainsByIp = new Map<string, Set<string>>();
    for (const e of endpoints) {
      const name = zone.names.get(e.hostname ?? "");
      for (const r of [...(name?.a ?? []), ...(name?.aaaa ?? [])]) {
        const domains = domainsByIp.get(r.value) ?? new Set();
        domains.add(registeredDomain(e.hostname ?? ""));
        domainsByIp.set(r.value, domains);
      }
    }
    // Assess
    expect(domainsByIp.size).toBeGreaterThan(200);
    for (const [ip, domains] of domainsByIp) {
      expect(ipaddr.parse(ip).range(), ip).toBe("unicast");
      expect(domains.size, ip).toBe(1);
    }
  });

  it("writes the same records in the NSD root zone, with an SOA and NS at the apex and no NXDOMAIN names", () => {
    // Act
    const records = rfc1035Records(rfc1035ZoneText(estate));
    // Assess
    expect(records[0]).toMatch(/^ 3600 SOA ns\.driftwatch-bench\.net\. /);
    expect(records[1]).toBe(" 3600 NS ns.driftwatch-bench.net");
    expect(records.slice(3).sort()).toEqual(zoneRecords(zone).sort());
    const owners = new Set(records.map((record) => record.split(" ")[0]));
    for (const e of byKind("nxdomain")) expect(owners.has(e.hostname ?? "")).toBe(false);
  });

  it("is the same for the same seed and another for another seed", () => {
    // Act
    const again = estateFiles(generateEstate({ hosts: 200, seed: 7 }));
    const other = estateFiles(generateEstate({ hosts: 200, seed: 8 }));
    // Assess
    expect(again).toEqual(estateFiles(estate));
    expect(other.map((f) => f.name)).toEqual(again.map((f) => f.name));
    expect(other[1]?.text).not.toBe(again[1]?.text);
  });

  it("refuses a host count out of range and a seed that is not a 32-bit whole number", () => {
    // Assess
    expect(() => generateEstate({ hosts: 0, seed: 1 })).toThrow(GenerateEstateError);
    expect(() => generateEstate({ hosts: 100_001, seed: 1 })).toThrow(/1 to 100000/);
    expect(() => generateEstate({ hosts: 10, seed: -1 })).toThrow(/seed/);
    expect(() => generateEstate({ hosts: 10, seed: 1.5 })).toThrow(/seed/);
  });
});
