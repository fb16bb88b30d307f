import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/**
 * The shipped catalogue against the vendor document it transcribes: every hostname and IPv4
 * string the document contains is in the catalogue, and nothing in the catalogue is invented.
 * The document is read with plain regular expressions here, independent of the extractor.
 */
const DOCUMENT = readFileSync(
  fileURLToPath(
    new URL(
      "../../../fixtures/vendor-docs/clearswift-seg-5.3-ports-and-protocols-issue-3.6.txt",
      import.meta.url,
    ),
  ),
  "utf8",
);

const URLS = /https?:\/\/[^\s"<>]+/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const HOSTNAME = /\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\b/gi;

function documentUrlHosts(): Set<string> {
  return new Set([...DOCUMENT.matchAll(URLS)].map((m) => new URL(m[0]).hostname.toLowerCase()));
}

function documentHostnames(): Set<string> {
  const withoutUrls = DOCUMENT.replace(URLS, " ");
  return new Set([...withoutUrls.matchAll(HOSTNAME)].map((m) => m[0].toLowerCase()));
}

function documentIps(): Set<string> {
  return new Set([...DOCUMENT.matchAll(IPV4)].map((m) => m[0]));
}

/** The text of one `## Title` section of the document. */
function section(title: string): string {
  const start = DOCUMENT.indexOf(`## ${title}`);
  const end = DOCUMENT.indexOf("\n## ", start + 3);
  return DOCUMENT.slice(start, end === -1 ? undefined : end);
}

/** Tab-separated table rows of a section, header rows dropped, as trimmed cells. */
function tableRows(text: string, headerFirstCell: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.includes("\t"))
    .map((line) => line.split("\t").map((cell) => cell.trim()))
    .filter((cells) => cells[0] !== "" && cells[0] !== headerFirstCell);
}

function portNumbers(cell: string): number[] {
  return [...cell.replace(/\(.*\)/, "").matchAll(/\d+/g)].map((m) => Number(m[0]));
}

describe("the shipped Clearswift catalogue is complete", () => {
  let catalogue: Catalogue;
  let endpointHostnames: Set<string>;
  let catalogueIps: Set<string>;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile();
    endpointHostnames = new Set(catalogue.endpoints.flatMap((e) => e.hostname ?? []));
    catalogueIps = new Set([
      ...catalogue.endpoints.flatMap((e) => [...e.ips, ...e.retiredIps.map((r) => r.ip)]),
      ...catalogue.pools.flatMap((p) => [...p.ips, ...p.retiredIps.map((r) => r.ip)]),
      ...(catalogue.mentions ?? []).filter((m) => m.kind === "ipv4").map((m) => m.value),
    ]);
  });

  it("holds every hostname of the document as an endpoint hostname", () => {
    // Act
    const missing = [...documentHostnames()].filter((h) => !endpointHostnames.has(h));

    // Assess
    expect(missing).toEqual([]);
    expect(documentHostnames().size).toBe(48);
    expect(endpointHostnames.size).toBe(48);
  });

  it("holds the host of every URL the document cites as a feed", () => {
    const feedHosts = new Set(catalogue.feeds.map((f) => new URL(f.url).hostname));
    expect([...documentUrlHosts()].sort()).toEqual([...feedHosts].sort());
    expect(catalogue.feeds.map((f) => f.id).sort()).toEqual(["aws-ip-ranges", "cloudfront"]);
  });

  it("holds every IPv4 string of the document as an endpoint, pool, retired or mentioned IP", () => {
    // Act
    const missing = [...documentIps()].filter((ip) => !catalogueIps.has(ip));

    // Assess
    expect(missing).toEqual([]);
    expect(documentIps().size).toBe(105);
  });

  it("invents no hostname or IP the document does not contain", () => {
    const lowerDocument = DOCUMENT.toLowerCase();
    const inventedHosts = [...endpointHostnames].filter((h) => !lowerDocument.includes(h));
    const inventedIps = [...catalogueIps].filter((ip) => !documentIps().has(ip));
    expect(inventedHosts).toEqual([]);
    expect(inventedIps).toEqual([]);
    expect(catalogueIps.size).toBe(105);
  });

  it("keeps the addresses the change history retires, with their dates", () => {
    const retired = [
      ...catalogue.endpoints.flatMap((e) => e.retiredIps),
      ...catalogue.pools.flatMap((p) => p.retiredIps),
    ].map((r) => `${r.ip} ${r.retiredOn}`);
    expect(retired.sort()).toEqual(
      [
        "184.72.245.1 2018-11-22",
        "79.125.8.252 2018-11-22",
        "175.41.136.7 2018-11-22",
        "174.129.26.118 2018-11-22",
        "176.34.251.142 2018-11-22",
        "54.254.98.96 2018-11-22",
        "50.58.188.57 2021-06",
      ].sort(),
    );
  });

  it("has one internal endpoint per Internal Connections row, with the row's ports", () => {
    // Prepare
    const rows = tableRows(section("Internal Connections"), "Description");
    const internal = catalogue.endpoints.filter((e) => e.scope === "internal");

    // Act
    const unmatched = rows.filter(([description, , port]) => {
      const candidates = internal.filter((e) => e.service === description);
      return !candidates.some(
        (e) =>
          JSON.stringify(e.ports.map((p) => p.port)) === JSON.stringify(portNumbers(port ?? "")),
      );
    });

    // Assess
    expect(unmatched).toEqual([]);
    expect(rows).toHaveLength(28);
    expect(internal).toHaveLength(28);
    expect(internal.every((e) => e.hostname === null && e.policy === "internal")).toBe(true);
  });

  it("covers every External Connections row with endpoints on the row's ports", () => {
    // Prepare
    const rows = tableRows(section("External Connections"), "Item");

    // Act
    const uncovered = rows.filter(([item, , port]) => {
      const endpoints = catalogue.endpoints.filter((e) => e.service === item);
      const expected = portNumbers(port ?? "");
      return (
        endpoints.length === 0 ||
        !endpoints.every((e) => expected.every((n) => e.ports.some((p) => p.port === n)))
      );
    });

    // Assess
    expect(uncovered).toEqual([]);
    expect(rows).toHaveLength(18);
  });

  it("records the SMTP any/any row as a hostless any-destination rule on tcp/25", () => {
    const smtp = catalogue.endpoints.filter((e) => e.service === "SMTP");
    expect(smtp).toHaveLength(1);
    expect(smtp[0]).toMatchObject({ hostname: null, policy: "any-destination", ips: [] });
    expect(smtp[0]?.ports).toEqual([{ protocol: "tcp", port: 25, direction: "in-out" }]);
  });

  it("names the document, issue 3.6 and a section on every entry", () => {
    const provenances = [
      ...catalogue.endpoints.map((e) => e.provenance),
      ...catalogue.pools.map((p) => p.provenance),
      ...catalogue.feeds.map((f) => f.provenance),
    ];
    const sections = new Set(
      DOCUMENT.split("\n")
        .filter((l) => l.startsWith("## "))
        .map((l) => l.slice(3).trim()),
    );
    for (const provenance of provenances) {
      expect(provenance.issue).toBe("3.6");
      expect(provenance.document).toBe(catalogue.document.title);
      expect(sections).toContain(provenance.section);
    }
  });
});
