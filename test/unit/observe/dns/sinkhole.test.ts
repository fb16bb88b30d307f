import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseZone, type Zone } from "#shared/adapters/local/zone-dns-server/zone";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import { advanceObservation } from "#shared/observe/dns/observation-window";
import { targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";
import { distrustSinkholes, registeredDomain, sinkholeRanges } from "#shared/observe/dns/sinkhole";

const GOOD = "192.0.2.53:53";
const FILTER = "198.51.100.53:53";
const BLOCK_PAGE = "23.192.228.80";

function answer(resolver: string, a: string[], aaaa: string[] = []): ResolverAnswer {
  const outcome = (records: string[]) => (records.length > 0 ? "answered" : "nodata");
  return {
    resolver,
    outcome: a.length + aaaa.length > 0 ? "answered" : "nodata",
    cnameChain: [],
    a: a.map((ip) => ({ ip, ttl: 60 })),
    aaaa: aaaa.map((ip) => ({ ip, ttl: 60 })),
    families: { a: outcome(a), aaaa: outcome(aaaa) },
  };
}

const REAL: Record<string, string> = {
  "update.clearswift.net": "13.32.121.18",
  "ntp.ubuntu.com": "162.159.200.1",
  "av.avira.com": "185.155.104.24",
  "av2.avira.com": "185.155.104.25",
};

describe("distrustSinkholes", () => {
  it("names an address one resolver served for hostnames under three registered domains, and says why on its answers", () => {
    // Prepare: GOOD answers the real addresses; FILTER answers the block page for everything
    const answers = new Map(
      Object.entries(REAL).map(([hostname, ip]) => [
        hostname,
        [answer(GOOD, [ip]), answer(FILTER, [BLOCK_PAGE])],
      ]),
    );

    // Act
    const result = distrustSinkholes(answers);

    // Assess
    expect(result.sinkholes).toEqual([
      {
        resolver: FILTER,
        ip: BLOCK_PAGE,
        hostnames: ["av.avira.com", "av2.avira.com", "ntp.ubuntu.com", "update.clearswift.net"],
        domains: ["avira.com", "clearswift.net", "ubuntu.com"],
      },
    ]);
    const ntp = result.answers.get("ntp.ubuntu.com") ?? [];
    expect(ntp[0]).toEqual(answer(GOOD, [REAL["ntp.ubuntu.com"] as string]));
    expect(ntp[1]?.detail).toBe(
      `${BLOCK_PAGE} is a sinkhole: this resolver served it for 4 hostnames under 3 registered domains in this run`,
    );
    expect(answers.get("ntp.ubuntu.com")?.[1]?.detail).toBeUndefined();
  });

  it("leaves an address shared under two registered domains, or by two hostnames, alone", () => {
    // Prepare: one mirror address for three hostnames of two domains; another for two hostnames
    // of two domains
    const answers = new Map([
      ["av.avira.com", [answer(GOOD, ["185.155.104.24"])]],
      ["av2.avira.com", [answer(GOOD, ["185.155.104.24"])]],
      ["update.clearswift.net", [answer(GOOD, ["185.155.104.24", "13.32.121.18"])]],
      ["ntp.ubuntu.com", [answer(GOOD, ["13.32.121.18"])]],
    ]);

    // Act
    const result = distrustSinkholes(answers);

    // Assess
    expect(result.sinkholes).toEqual([]);
    expect(result.answers).toEqual(answers);
  });

  it("leaves one vendor's hosts behind one CDN address alone, however many groups they serve", () => {
    // Prepare: the vendor moves its website, help and appliance-update hosts to one address
    const answers = new Map(
      ["www.clearswift.com", "clearswifthelp.clearswift.com", "applianceupdate.clearswift.com"].map(
        (hostname) => [hostname, [answer(GOOD, ["13.32.121.18"])]],
      ),
    );

    // Act
    const result = distrustSinkholes(answers);

    // Assess
    expect(result.sinkholes).toEqual([]);
    expect(result.answers).toEqual(answers);
  });

  it.each([
    ["applianceupdate.clearswift.com", "clearswift.com"],
    ["ClearSwift.COM.", "clearswift.com"],
    ["www.example.co.uk", "example.co.uk"],
    ["a.b.example.com.au", "example.com.au"],
    ["ntp.ubuntu.com", "ubuntu.com"],
    ["mirror.example.de", "example.de"],
    ["localhost", "localhost"],
  ])("takes %s to be under the registered domain %s", (hostname, domain) => {
    expect(registeredDomain(hostname)).toBe(domain);
  });

  it("keeps a sinkhole out of the observed set and removes nothing for it, however long it lasts", () => {
    // Prepare: the name had its real address; from then on FILTER serves only the block page
    const grace = { runs: 3, hours: 1 };
    let state: HostObservation = advanceObservation(null, [answer(FILTER, ["162.159.200.1"])], {
      hostname: "ntp.ubuntu.com",
      runId: "run-0",
      now: new Date("2026-08-22T10:00:00Z"),
      grace,
    });
    const runs = Object.keys(REAL).map((hostname) => [hostname, [answer(FILTER, [BLOCK_PAGE])]]);
    const distrusted = sinkholeRanges(
      distrustSinkholes(new Map(runs as [string, ResolverAnswer[]][])).sinkholes,
    );

    // Act: six hourly runs, past the grace period
    const left = [];
    for (let hour = 1; hour <= 6; hour++) {
      state = advanceObservation(state, [answer(FILTER, [BLOCK_PAGE])], {
        hostname: "ntp.ubuntu.com",
        runId: `run-${hour}`,
        now: new Date(Date.parse("2026-08-22T10:00:00Z") + hour * 3_600_000),
        grace,
        distrusted,
      });
      left.push(...state.left);
    }

    // Assess
    expect(left).toEqual([]);
    expect(state.active.map((ip) => ip.ip)).toEqual(["162.159.200.1"]);
    expect(state.entered).toEqual([]);
    expect(state.suspicious).toEqual([{ ip: BLOCK_PAGE, range: "sinkhole", resolver: FILTER }]);
    expect(state.consecutiveFailures).toBe(6);
  });
});

/** Every address a zone can give a name, whatever its rotation, following CNAMEs. */
function everyAddressOf(zone: Zone, hostname: string): { a: string[]; aaaa: string[] } {
  let entry = zone.names.get(hostname);
  for (let hop = 0; entry?.cname && hop < 16; hop++) entry = zone.names.get(entry.cname.value);
  return {
    a: (entry?.a ?? []).map((record) => record.value),
    aaaa: (entry?.aaaa ?? []).map((record) => record.value),
  };
}

describe("the shipped catalogue and zones", () => {
  it.each([
    "fixtures/dns/clearswift.zone",
    "fixtures/dns/clearswift-v2.zone",
    "fixtures/dns/clearswift-v3.zone",
  ])(
    "never look like a sinkhole, even if one run saw every address of every rotation: %s",
    async (file) => {
      // Prepare: each hostname answered with all its zone addresses at once, by one resolver
      const catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
      const zone = parseZone(readFileSync(file, "utf8"));
      const hostnames = new Set(
        targetsFromCatalogue(catalogue).map((target) => target.hostname.toLowerCase()),
      );
      const answers = new Map(
        [...hostnames].map((hostname) => {
          const { a, aaaa } = everyAddressOf(zone, hostname);
          return [hostname, [answer(GOOD, a, aaaa)]];
        }),
      );

      // Act
      const result = distrustSinkholes(answers);

      // Assess
      const answered = [...answers.values()].flat().filter((a) => a.outcome === "answered");
      expect(answered.length).toBeGreaterThanOrEqual(40);
      expect(result.sinkholes).toEqual([]);
    },
  );
});
