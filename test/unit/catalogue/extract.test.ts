import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { extractCatalogueDraft } from "#shared/catalogue/extract/extract-catalogue-draft";
import { findAddresses } from "#shared/catalogue/extract/find-addresses";
import { portsInProse } from "#shared/catalogue/extract/ports-in-prose";
import { loadCatalogueFile, validateCatalogue } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

function vendorDoc(name: string): string {
  return readFileSync(
    fileURLToPath(new URL(`../../../fixtures/vendor-docs/${name}`, import.meta.url)),
    "utf8",
  );
}

const CLEARSWIFT = vendorDoc("clearswift-seg-5.3-ports-and-protocols-issue-3.6.txt");
const NORTHWIND = vendorDoc("northwind-mailshield-4.2-network-requirements.txt");

/** Every address the draft holds, wherever it put it. */
function addressesIn(draft: Catalogue): Set<string> {
  return new Set([
    ...draft.endpoints.flatMap((e) => [
      ...(e.hostname ? [e.hostname] : []),
      ...e.ips,
      ...e.retiredIps.map((r) => r.ip),
    ]),
    ...draft.pools.flatMap((p) => [...p.ips, ...p.retiredIps.map((r) => r.ip)]),
    ...draft.feeds.map((f) => new URL(f.url).hostname),
    ...(draft.mentions ?? []).map((m) => m.value),
  ]);
}

function endpoint(draft: Catalogue, hostname: string) {
  const found = draft.endpoints.find((e) => e.hostname === hostname);
  if (found === undefined) throw new Error(`draft has no endpoint for ${hostname}`);
  return found;
}

describe("catalogue draft extraction from the Clearswift document", () => {
  const draft = extractCatalogueDraft(CLEARSWIFT, { vendor: "Clearswift", product: "SEG 5.3" });

  it("finds every hostname and IPv4 address of the document", () => {
    // Prepare: the document read with plain regular expressions.
    const urls = /https?:\/\/[^\s"<>]+/g;
    const hosts = [...CLEARSWIFT.replace(urls, " ").matchAll(/\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi)];
    const ips = [...CLEARSWIFT.matchAll(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g)];
    const expected = new Set([
      ...hosts.map((m) => m[0].toLowerCase()),
      ...ips.map((m) => m[0]),
      ...[...CLEARSWIFT.matchAll(urls)].map((m) => new URL(m[0]).hostname),
    ]);

    // Act
    const found = addressesIn(draft);

    // Assess
    expect([...expected].filter((a) => !found.has(a))).toEqual([]);
    expect(expected.size).toBe(48 + 105 + 2);
  });

  it("produces a valid catalogue marked as needing review", () => {
    expect(validateCatalogue(draft).ok).toBe(true);
    expect(draft.review).toBe("needs-review");
    expect(draft.document).toEqual({
      title: "Ports and Protocols",
      issue: "3.6",
      date: "July 2021",
    });
  });

  it("guesses policies from the rows: pinned, pooled, feeds, rotating, hostname-only", () => {
    expect(endpoint(draft, "applianceupdate.clearswift.com")).toMatchObject({
      policy: "pinned",
      ips: ["40.113.232.243"],
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    });
    expect(endpoint(draft, "uk.sandbox.sophos.com").policy).toBe("pool");
    expect(endpoint(draft, "products.clearswift.net")).toMatchObject({
      policy: "cloudfront",
      feed: "cloudfront",
    });
    expect(endpoint(draft, "services2.clearswift.net").policy).toBe("aws-ip-ranges");
    expect(endpoint(draft, "ksn-url.geoksn.kaspersky.com").policy).toBe("rotating");
    expect(endpoint(draft, "ra.swisssign.net").policy).toBe("hostname-only");
  });

  it("shares one pool between rows that list the same IPs", () => {
    const pools = ["aav-update-1.clearswift.net", "kav-update-8-1.clearswift.net"].map(
      (h) => endpoint(draft, h).pool,
    );
    expect(pools[0]).toBeDefined();
    expect(pools[1]).toBe(pools[0]);
  });

  it("groups by section and takes a section's ports from the row that refers to it", () => {
    const spam = endpoint(draft, "sn12.mailshell.net");
    expect(spam.provenance.section).toBe("Spam Rule Updates");
    expect(spam.ports).toEqual([{ protocol: "tcp", port: 80, direction: "out" }]);
    expect(draft.pools.find((p) => p.id === spam.pool)?.ips).toHaveLength(27);
    expect(
      endpoint(draft, "lbl7.mailshell.net").ports.map((p) => `${p.protocol}/${p.port}`),
    ).toEqual(["udp/53", "tcp/53"]);
  });

  it("turns internal port-only rows into internal endpoints, pairing protocols with ports", () => {
    const ntlm = draft.endpoints.find((e) => e.service === "User Authentication using NTLM");
    expect(ntlm).toMatchObject({ hostname: null, policy: "internal", scope: "internal" });
    expect(ntlm?.ports.map((p) => `${p.protocol}/${p.port}/${p.direction}`)).toEqual([
      "tcp/135/out",
      "udp/137/out",
      "tcp/139/out",
      "tcp/445/out",
    ]);
    expect(draft.endpoints.filter((e) => e.policy === "internal")).toHaveLength(28);
  });

  it("retires the old address of a 'from A to B' change on B's endpoint", () => {
    expect(endpoint(draft, "applianceupdate.clearswift.com").retiredIps).toEqual([
      expect.objectContaining({ ip: "50.58.188.57", retiredOn: "2021-06" }),
    ]);
  });
});

describe("catalogue draft extraction from a second vendor's markdown document", () => {
  const draft = extractCatalogueDraft(NORTHWIND, {
    vendor: "Northwind",
    product: "MailShield 4.2",
  });

  it("reads the document's metadata and validates", () => {
    expect(validateCatalogue(draft).ok).toBe(true);
    expect(draft.id).toBe("northwind-mailshield-4.2");
    expect(draft.document).toEqual({
      title: "Network Requirements",
      issue: "1.4",
      date: "March 2024",
    });
  });

  it("drafts an endpoint for every hostname of the pipe table and the prose", () => {
    const hostnames = draft.endpoints.flatMap((e) => e.hostname ?? []).sort();
    expect(hostnames).toEqual([
      "license.northwind.example",
      "rbl1.northwind.example",
      "rbl2.northwind.example",
      "rep1.mailshield.example",
      "rep2.mailshield.example",
      "sandbox.northwind.example",
      "status.northwind.example",
      "telemetry.mailshield.example",
      "time.northwind.example",
      "updates.mailshield.example",
    ]);
  });

  it("takes ports, IPs and policies from each row or line", () => {
    expect(endpoint(draft, "updates.mailshield.example")).toMatchObject({
      policy: "pinned",
      ips: ["192.0.2.10", "192.0.2.11"],
      group: "cloud-services",
    });
    expect(endpoint(draft, "telemetry.mailshield.example")).toMatchObject({
      policy: "aws-ip-ranges",
      ports: [{ protocol: "tcp", port: 8443, direction: "out" }],
    });
    expect(endpoint(draft, "rep2.mailshield.example").policy).toBe("pool");
    expect(endpoint(draft, "sandbox.northwind.example").policy).toBe("rotating");
    expect(endpoint(draft, "time.northwind.example")).toMatchObject({
      policy: "hostname-only",
      ports: [{ protocol: "udp", port: 123, direction: "out" }],
    });
    expect(endpoint(draft, "status.northwind.example")).toMatchObject({
      policy: "pinned",
      ips: ["198.51.100.7"],
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    });
  });

  it("pools a section's loose IP list for its hosts, with ports from the section text", () => {
    const rbl = endpoint(draft, "rbl1.northwind.example");
    expect(rbl.policy).toBe("pool");
    expect(draft.pools.find((p) => p.id === rbl.pool)?.ips).toEqual([
      "203.0.113.40",
      "203.0.113.41",
      "203.0.113.42",
    ]);
    expect(rbl.ports.map((p) => `${p.protocol}/${p.port}`)).toEqual(["udp/53", "tcp/53"]);
  });

  it("reads directions and paired protocols from an internal table", () => {
    const internal = draft.endpoints.filter((e) => e.policy === "internal");
    expect(
      internal.map((e) => [
        e.service,
        e.ports.map((p) => `${p.protocol}/${p.port}/${p.direction}`),
      ]),
    ).toEqual([
      ["Web administration", ["tcp/443/in"]],
      ["Directory lookups", ["tcp/389/out", "tcp/636/out"]],
      ["Cluster heartbeat", ["udp/7400/in-out"]],
    ]);
    expect(draft.endpoints.find((e) => e.service === "Mail relay")?.policy).toBe("any-destination");
  });

  it("keeps history, ranges and host-less addresses instead of dropping them", () => {
    expect(endpoint(draft, "license.northwind.example").retiredIps).toEqual([
      expect.objectContaining({ ip: "192.0.2.99", retiredOn: "2023-01" }),
    ]);
    expect((draft.mentions ?? []).map((m) => [m.value, m.kind])).toEqual([
      ["198.51.100.53", "ipv4"],
      ["198.51.100.0/24", "ipv4-range"],
      ["192.0.2.9", "ipv4"],
      ["docs.northwind.example", "hostname"],
    ]);
    expect(addressesIn(draft).has("northwind.example")).toBe(false);
  });
});

describe("address and port finding", () => {
  it("separates URLs, ranges, IPs and hostnames and ignores file names and e-mail domains", () => {
    const found = findAddresses(
      "See https://ip-ranges.amazonaws.com/ip-ranges.json, mail ops@corp.example, host A.Example.COM at 10.0.0.1 in 10.0.0.0/8; not.a.json file, config.yaml, v1.2.3",
    );
    expect(found).toEqual({
      urls: ["https://ip-ranges.amazonaws.com/ip-ranges.json"],
      ranges: ["10.0.0.0/8"],
      ips: ["10.0.0.1"],
      hostnames: ["a.example.com"],
      wildcards: [],
      hostPorts: [],
    });
  });

  it("rejects four-part numbers that are not IPv4 addresses", () => {
    expect(findAddresses("version 300.1.2.4 and 1.2.3.4").ips).toEqual(["1.2.3.4"]);
  });

  it("reads ports written as TCP 443, 443/tcp, UDP port 123 and ports 80 and 8080", () => {
    const ports = portsInProse("TCP 443, 8443/tcp, UDP port 123 and ports 80 and 8080");
    expect(ports.map((p) => `${p.protocol}/${p.port}`)).toEqual([
      "tcp/443",
      "udp/123",
      "tcp/8443",
      "tcp/80",
      "tcp/8080",
    ]);
  });
});

describe("the Clearswift draft against the shipped catalogue", () => {
  const draft = extractCatalogueDraft(CLEARSWIFT, { vendor: "Clearswift", product: "SEG 5.3" });

  /** Per hostname: its ports and the IPs it may use (its own and its pool's). */
  function hostFacts(catalogue: Catalogue): Map<string, { ports: string[]; ips: string[] }> {
    const pools = new Map(catalogue.pools.map((p) => [p.id, p]));
    return new Map(
      catalogue.endpoints.flatMap((e) => {
        if (e.hostname === null) return [];
        const pool = e.pool === undefined ? undefined : pools.get(e.pool);
        const ports = e.ports.map((p) => `${p.protocol}/${p.port}/${p.direction}`).sort();
        return [[e.hostname, { ports, ips: [...e.ips, ...(pool?.ips ?? [])].sort() }]];
      }),
    );
  }

  it("has every hostname of the shipped catalogue with the same ports and IPs", async () => {
    // Prepare
    const shipped = await loadCatalogueFile();

    // Act
    const drafted = hostFacts(draft);

    // Assess
    for (const [hostname, facts] of hostFacts(shipped)) {
      expect(drafted.get(hostname), hostname).toEqual(facts);
    }
    expect(drafted.size).toBe(hostFacts(shipped).size);
    const retired = shipped.pools.flatMap((p) => p.retiredIps.map((r) => r.ip));
    const mentioned = new Set((draft.mentions ?? []).map((m) => m.value));
    expect(retired.filter((ip) => !mentioned.has(ip))).toEqual([]);
  });

  it("gives every endpoint its facts, and flags only the pooled address lists", () => {
    for (const endpoint of draft.endpoints) {
      const ports = new Set(endpoint.facts?.filter((f) => f.fact === "port").map((f) => f.value));
      expect(endpoint.ports.every((p) => ports.has(`${p.protocol}/${p.port}/${p.direction}`))).toBe(
        true,
      );
      expect(endpoint.facts?.every((f) => f.confidence !== "low")).toBe(true);
    }
    expect(draft.reviewFlags?.map((f) => [f.subject, f.line])).toEqual([
      ["spam-rule-updates", 136],
      ["trustmanager-connections", 175],
    ]);
  });
});
