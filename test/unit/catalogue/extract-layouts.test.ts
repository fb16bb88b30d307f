import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { extractCatalogueDraft } from "#shared/catalogue/extract/extract-catalogue-draft";
import { validateCatalogue } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/**
 * The extractor on documents written for these tests, one per layout (bullet lists under port
 * headings, a markdown table, an HTML table, a space-aligned text table with prose rows). Each
 * document has an `.expected.json` beside it: every host with its ports, addresses and policy,
 * the port rules, the counts and the facts flagged for review.
 */
interface Expected {
  document: string;
  title: string;
  counts: {
    hostnames: number;
    wildcards: number;
    addresses: number;
    cidrs: number;
    flagged: number;
  };
  hosts: Record<
    string,
    {
      group: string;
      policy: string;
      ports: string[];
      ips: string[];
      ranges: string[];
      retired?: string[];
    }
  >;
  portRules: { service: string; policy: string; ports: string[] }[];
  flagged: { path: string; line: number }[];
  mentions: string[];
}

const LAYOUTS = ["bullet-lists", "markdown-table", "html-table", "space-aligned"];

function layoutFile(name: string): string {
  const url = new URL(`../../../fixtures/vendor-docs/layouts/${name}`, import.meta.url);
  return readFileSync(fileURLToPath(url), "utf8");
}

const port = (p: { protocol: string; port: number; direction: string }) =>
  `${p.protocol}/${p.port}/${p.direction}`;

/** Each host of the draft as the expected file has it (its pool's addresses included). */
function hostsOf(draft: Catalogue): Expected["hosts"] {
  const pools = new Map(draft.pools.map((p) => [p.id, p]));
  const hosts: Expected["hosts"] = {};
  for (const e of draft.endpoints) {
    if (e.hostname === null) continue;
    const pool = e.pool === undefined ? undefined : pools.get(e.pool);
    hosts[e.hostname] = {
      group: e.group,
      policy: e.policy,
      ports: e.ports.map(port).sort(),
      ips: [...e.ips, ...(pool?.ips ?? [])].sort(),
      ranges: [...(e.ranges ?? []), ...(pool?.ranges ?? [])].sort(),
      ...(e.retiredIps.length > 0 ? { retired: e.retiredIps.map((r) => r.ip) } : {}),
    };
  }
  return hosts;
}

function countsOf(draft: Catalogue): Expected["counts"] {
  const names = draft.endpoints.flatMap((e) => e.hostname ?? []);
  const ips = [...draft.endpoints.flatMap((e) => e.ips), ...draft.pools.flatMap((p) => p.ips)];
  const ranges = [
    ...draft.endpoints.flatMap((e) => e.ranges ?? []),
    ...draft.pools.flatMap((p) => p.ranges ?? []),
  ];
  return {
    hostnames: names.filter((n) => !n.startsWith("*.")).length,
    wildcards: names.filter((n) => n.startsWith("*.")).length,
    addresses: new Set(ips).size,
    cidrs: new Set(ranges).size,
    flagged: draft.reviewFlags?.length ?? 0,
  };
}

/** Every address in the text, read with plain regular expressions (not the extractor's). */
function addressesInText(text: string): string[] {
  const urls = [...text.matchAll(/https?:\/\/[^\s"<>|]+/g)].map((m) => m[0]);
  const rest = text.replace(/https?:\/\/[^\s"<>|]+/g, " ").replace(/<[^>]+>/g, " ");
  const found = urls.map((u) => new URL(u).hostname);
  found.push(...[...rest.matchAll(/\*\.(?:[a-z0-9-]+\.)+[a-z]{2,}/gi)].map((m) => m[0]));
  const plain = rest.replace(/\*\.(?:[a-z0-9-]+\.)+[a-z]{2,}/gi, " ");
  found.push(...[...plain.matchAll(/\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi)].map((m) => m[0]));
  for (const m of plain.matchAll(
    /(?<![\w:])[0-9a-f:.]*:[0-9a-f:.]*(?:\/\d+)?|[\d.]+\/\d+|(?:\d+\.){3}\d+/gi,
  )) {
    const [address = "", bits] = m[0].split("/");
    if (!ipaddr.isValid(address)) continue;
    found.push(
      bits === undefined ? ipaddr.parse(address).toString() : ipaddr.parseCIDR(m[0]).toString(),
    );
  }
  return [...new Set(found.map((a) => a.toLowerCase()))].filter(
    (a) => !/^[\d.]+$/.test(a) || a.split(".").length === 4,
  );
}

function everythingIn(draft: Catalogue): Set<string> {
  return new Set([
    ...draft.endpoints.flatMap((e) => [
      ...(e.hostname ? [e.hostname] : []),
      ...e.ips,
      ...(e.ranges ?? []),
      ...e.retiredIps.map((r) => r.ip),
    ]),
    ...draft.pools.flatMap((p) => [
      ...p.ips,
      ...(p.ranges ?? []),
      ...p.retiredIps.map((r) => r.ip),
    ]),
    ...draft.feeds.map((f) => new URL(f.url).hostname),
    ...(draft.mentions ?? []).map((m) => m.value),
  ]);
}

describe.each(LAYOUTS)("catalogue extraction from the %s layout", (layout) => {
  const expected = JSON.parse(layoutFile(`${layout}.expected.json`)) as Expected;
  const text = layoutFile(expected.document);
  const lines = text.split("\n");
  const draft = extractCatalogueDraft(text, { vendor: "Test", product: layout });

  it("produces a valid draft with the document's title", () => {
    expect(validateCatalogue(draft).ok).toBe(true);
    expect(draft.document.title).toBe(expected.title);
  });

  it("extracts every hostname and wildcard with its ports, protocols, addresses and policy", () => {
    expect(hostsOf(draft)).toEqual(expected.hosts);
    const rules = draft.endpoints
      .filter((e) => e.hostname === null)
      .map((e) => ({ service: e.service, policy: e.policy, ports: e.ports.map(port).sort() }));
    expect(rules).toEqual(expected.portRules);
  });

  it("has the expected counts", () => {
    expect(countsOf(draft)).toEqual(expected.counts);
  });

  it("leaves no address of the document out", () => {
    const found = everythingIn(draft);
    expect(addressesInText(text).filter((a) => !found.has(a))).toEqual([]);
    expect((draft.mentions ?? []).map((m) => m.value)).toEqual(expected.mentions);
  });

  it("gives every fact its source line and confidence, and flags every assumption", () => {
    const facts = [
      ...draft.endpoints.flatMap((e) => e.facts ?? []),
      ...draft.pools.flatMap((p) => p.facts ?? []),
    ];
    for (const fact of facts) {
      expect(fact.text).toBe(
        (lines[fact.line - 1] ?? "").replace(/\s+/g, " ").trim().slice(0, 200),
      );
      if (["hostname", "ip", "range"].includes(fact.fact)) {
        const value = fact.value.replace(/ \(listed again\)$/, "");
        expect(fact.text.toLowerCase()).toContain(value.replace(/^\*\./, ""));
      }
      if (fact.confidence === "low") expect(fact.assumed).toBeDefined();
    }
    for (const endpoint of draft.endpoints) {
      const portFacts = new Set(
        (endpoint.facts ?? []).filter((f) => f.fact === "port").map((f) => f.value),
      );
      expect(endpoint.ports.map(port).filter((p) => !portFacts.has(p))).toEqual([]);
      expect((endpoint.facts ?? []).some((f) => f.fact === "policy")).toBe(true);
    }
    const assumed = facts.filter((f) => f.assumed !== undefined).length;
    expect(draft.reviewFlags).toHaveLength(assumed);
    expect(draft.reviewFlags?.map((f) => ({ path: f.path, line: f.line }))).toEqual(
      expected.flagged,
    );
    expect(
      draft.endpoints.some((e) => e.notes?.includes("assumed") && !e.facts?.some((f) => f.assumed)),
    ).toBe(false);
  });
});
