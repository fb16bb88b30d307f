import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { parseZone, type Zone, ZoneFileError } from "#shared/adapters/local/zone-dns-server/zone";
import { loadCatalogueFile } from "#shared/catalogue/load";

function addressesOf(zone: Zone, hostname: string): string[] {
  let entry = zone.names.get(hostname);
  for (let hop = 0; entry?.cname && hop < 16; hop++) entry = zone.names.get(entry.cname.value);
  return [...(entry?.a ?? []), ...(entry?.aaaa ?? [])].map((record) => record.value);
}

function gunzipJson(path: string): unknown {
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
}

function inside(ip: string, cidrs: string[]): boolean {
  const address = ipaddr.parse(ip);
  return cidrs.some((cidr) => {
    const range = ipaddr.parseCIDR(cidr);
    return address.kind() === range[0].kind() && address.match(range);
  });
}

describe("zone text format", () => {
  it("reads A/AAAA with TTLs, CNAMEs, round robin and behaviours", () => {
    const zone = parseZone(`
      $TTL 120
      WWW.Example.NET.        A      23.185.0.1 23.185.0.2   # comment
      www.example.net    60   AAAA   2600:9000:0:0::1
      alias.example.net       CNAME  www.example.net
      www.example.net         RR     1
      gone.example.net        NXDOMAIN
      slow.example.net        DELAY  250
    `);

    expect(zone.names.get("www.example.net")).toEqual({
      name: "www.example.net",
      a: [
        { value: "23.185.0.1", ttl: 120 },
        { value: "23.185.0.2", ttl: 120 },
      ],
      aaaa: [{ value: "2600:9000::1", ttl: 60 }],
      cname: null,
      behaviour: { kind: "answer" },
      roundRobin: 1,
      delayMs: 0,
    });
    expect(zone.names.get("alias.example.net")?.cname).toEqual({
      value: "www.example.net",
      ttl: 120,
    });
    expect(zone.names.get("gone.example.net")?.behaviour).toEqual({ kind: "nxdomain" });
    expect(zone.names.get("slow.example.net")?.delayMs).toBe(250);
  });

  it.each([
    ["a.example.net A 300.1.1.1", 1, "not an ipv4"],
    ["a.example.net AAAA 1.2.3.4", 1, "not an ipv6"],
    ["a.example.net A 1.2.3.4\na.example.net CNAME b.example.net", 2, "addresses and a CNAME"],
    ["a.example.net MX mail.example.net", 1, "unknown type MX"],
    ["a.example.net RR 0", 1, "RR needs a positive count"],
    ["\n\n$ORIGIN example.net", 3, "unknown directive"],
  ])("rejects %j at line %i", (text, line, message) => {
    let error: unknown;
    try {
      parseZone(text);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ZoneFileError);
    expect((error as ZoneFileError).line).toBe(line);
    expect((error as ZoneFileError).message).toContain(message);
  });
});

describe("fixtures/dns/clearswift.zone", () => {
  it("answers every catalogued hostname as its expectation policy expects", async () => {
    // Prepare
    const catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
    const zone = parseZone(readFileSync("fixtures/dns/clearswift.zone", "utf8"));
    const cloudfront = gunzipJson(
      "fixtures/feeds/cloudfront/list-cloudfront-ips.json.gz",
    ) as Record<string, string[]>;
    const awsRanges = gunzipJson(
      "fixtures/feeds/aws-ip-ranges/ip-ranges-2026-08-21-22-37-05.json.gz",
    ) as {
      prefixes: { ip_prefix: string; service: string }[];
      ipv6_prefixes: { ipv6_prefix: string; service: string }[];
    };
    const ec2 = [
      ...awsRanges.prefixes.filter((p) => p.service === "EC2").map((p) => p.ip_prefix),
      ...awsRanges.ipv6_prefixes.filter((p) => p.service === "EC2").map((p) => p.ipv6_prefix),
    ];
    const pools = new Map(catalogue.pools.map((pool) => [pool.id, pool.ips]));
    const usedPoolIps = new Set<string>();

    // Act / Assess
    for (const endpoint of catalogue.endpoints) {
      if (endpoint.hostname === null) continue;
      const ips = addressesOf(zone, endpoint.hostname);
      const where = `${endpoint.hostname} (${endpoint.policy})`;
      expect(ips.length, where).toBeGreaterThan(0);
      for (const ip of ips) {
        expect(ipaddr.parse(ip).range(), `${where} ${ip}`).toBe("unicast");
        if (endpoint.policy === "pinned") expect(endpoint.ips, where).toContain(ip);
        if (endpoint.policy === "pool") expect(pools.get(endpoint.pool ?? ""), where).toContain(ip);
        if (endpoint.policy === "cloudfront") {
          expect(inside(ip, Object.values(cloudfront).flat()), `${where} ${ip}`).toBe(true);
        }
        if (endpoint.policy === "aws-ip-ranges")
          expect(inside(ip, ec2), `${where} ${ip}`).toBe(true);
        usedPoolIps.add(ip);
      }
    }
    const unusedPoolIps = [...pools.values()].flat().filter((ip) => !usedPoolIps.has(ip));
    expect(unusedPoolIps).toEqual([]);
  });
});
