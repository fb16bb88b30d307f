import { beforeAll, describe, expect, it } from "vitest";
import { formatIpUse } from "#cli/commands/query/render-ip-use";
import { formatHistory } from "#cli/commands/query/render-observations";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { IpSighting } from "#shared/observe/dns/observation-store";
import { describeIpUse } from "#shared/query/ip-use";
import { parseWhen } from "#shared/query/when";
import { observation, observedIp } from "#test/helpers/verdict-fixtures";

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
});

function sighting(hostname: string, ip: string, firstSeen: string): IpSighting {
  return { hostname, ip, family: ip.includes(":") ? 6 : 4, firstSeen, runId: `run-${firstSeen}` };
}

describe("parseWhen", () => {
  it("takes a calendar date as a whole UTC day", () => {
    expect(parseWhen("2026-08-21")).toEqual({
      value: "2026-08-21",
      day: true,
      start: "2026-08-21T00:00:00.000Z",
      end: "2026-08-21T23:59:59.999Z",
    });
  });

  it("normalises an instant with its zone to UTC", () => {
    expect(parseWhen("2026-08-21T14:30:00+02:00")?.value).toBe("2026-08-21T12:30:00.000Z");
    expect(parseWhen("2026-08-21T12:30Z")?.value).toBe("2026-08-21T12:30:00.000Z");
    expect(parseWhen("2026-08-21T12:30:00.123456Z")?.day).toBe(false);
  });

  it.each([
    "2026-02-30",
    "2026-13-01",
    "2026-08-21T12:00:00",
    "2026-08-21 12:00Z",
    "21/08/2026",
    "yesterday",
    "",
  ])("refuses %j", (text) => {
    expect(parseWhen(text)).toBeNull();
  });
});

describe("describeIpUse", () => {
  it("tells a hostname that still resolves to the IP from one whose IP left the observed set", () => {
    // Prepare
    const ip = "185.155.104.24";
    const latest = new Map([
      [
        "aav-update-1.clearswift.net",
        observation("aav-update-1.clearswift.net", { active: [ip, "70.33.161.213"] }),
      ],
      [
        "kav-update-8-1.clearswift.net",
        observation("kav-update-8-1.clearswift.net", {
          active: ["70.33.161.214"],
          departed: [
            observedIp(ip, {
              lastSeen: "2026-08-19T00:00:00.000Z",
              leftAt: "2026-08-20T06:00:00.000Z",
            }),
          ],
        }),
      ],
    ]);

    // Act
    const answer = describeIpUse(
      catalogue,
      ip,
      [
        sighting("kav-update-8-1.clearswift.net", ip, "2026-08-01T00:00:00.000Z"),
        sighting("aav-update-1.clearswift.net", ip, "2026-08-02T00:00:00.000Z"),
      ],
      latest,
    );

    // Assess
    expect(answer.hosts.map((h) => [h.hostname, h.current, h.lastSeen, h.leftAt])).toEqual([
      [
        "kav-update-8-1.clearswift.net",
        false,
        "2026-08-19T00:00:00.000Z",
        "2026-08-20T06:00:00.000Z",
      ],
      ["aav-update-1.clearswift.net", true, "2026-08-21T12:00:00.000Z", null],
    ]);
    expect(formatIpUse(answer, "the test store")).toMatch(
      /kav-update-8-1\.clearswift\.net +first seen 2026-08-01T00:00:00\.000Z +left the observed set 2026-08-20T06:00:00\.000Z\n/,
    );
  });

  it("names a retired IP's pool and retirement, and a hostname the catalogue does not know", () => {
    // Prepare
    const retired = "184.72.245.1";
    const latest = new Map([
      [
        "sav-update-2.clearswift.net",
        observation("sav-update-2.clearswift.net", { active: [retired] }),
      ],
      ["mirror.example.net", observation("mirror.example.net", { active: [retired] })],
    ]);

    // Act
    const answer = describeIpUse(
      catalogue,
      retired,
      [
        sighting("sav-update-2.clearswift.net", retired, "2026-08-01T00:00:00.000Z"),
        sighting("mirror.example.net", retired, "2026-08-01T00:00:00.000Z"),
      ],
      latest,
    );

    // Assess
    const sav = answer.hosts.find((h) => h.hostname === "sav-update-2.clearswift.net");
    expect(sav?.catalogue).toEqual([
      expect.objectContaining({
        endpointId: "sophos-av-updates/sav-update-2.clearswift.net",
        status: "retired",
        poolId: "av-update-mirrors",
        retiredOn: "2018-11-22",
      }),
    ]);
    expect(answer.hosts.find((h) => h.hostname === "mirror.example.net")?.catalogue).toEqual([]);
    expect(answer.documentedFor).toHaveLength(12);
    expect(formatIpUse(answer, "the test store")).toMatch(
      /mirror\.example\.net +first seen \S+ +still observed\n +not in the catalogue\n/,
    );
  });
});

describe("formatHistory", () => {
  it("shows entered and left IPs, failures and suspicious answers, one run per line", () => {
    // Prepare
    const runs = [
      observation("www.clearswift.com", {
        runId: "run-3",
        observedAt: "2026-08-21T12:30:00.000Z",
        active: ["23.185.0.1"],
        outcome: "answered",
        consecutiveFailures: 1,
        suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
      }),
      observation("www.clearswift.com", {
        runId: "run-2",
        observedAt: "2026-08-21T12:15:00.000Z",
        active: ["23.185.0.1"],
        left: ["23.185.0.9"],
      }),
      observation("www.clearswift.com", {
        runId: "run-1",
        observedAt: "2026-08-21T12:00:00.000Z",
        entered: ["23.185.0.1"],
      }),
    ];

    // Act
    const text = formatHistory("www.clearswift.com", runs, 7);

    // Assess
    expect(text.split("\n")).toEqual([
      "www.clearswift.com: 7 changes, newest first, the newest 3 shown (--limit, --from, --to)",
      "",
      "2026-08-21T12:30:00.000Z  run-3  answered (1 failed run in a row, only suspicious answers)  suspicious 10.20.30.40 (private)  [1 observed]",
      "2026-08-21T12:15:00.000Z  run-2  answered    -23.185.0.9  [1 observed]",
      "2026-08-21T12:00:00.000Z  run-1  answered    +23.185.0.1  [1 observed]",
      "",
    ]);
  });

  it("says older runs exist, without a count, when only the newest were read", () => {
    // Prepare
    const runs = [
      observation("www.clearswift.com", {
        runId: "run-9",
        observedAt: "2026-08-21T14:00:00.000Z",
        active: ["23.185.0.1"],
      }),
    ];

    // Act
    const [heading] = formatHistory("www.clearswift.com", runs, null).split("\n");

    // Assess
    expect(heading).toBe(
      "www.clearswift.com: the newest 1 change, newest first; older ones exist (--limit, --from, --to)",
    );
  });
});
