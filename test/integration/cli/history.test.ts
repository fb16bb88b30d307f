import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import type { HostObservation } from "#shared/domain/observation";
import type { IpUse } from "#shared/query/ip-use";
import type { RunSummary } from "#shared/query/run-summary";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";
import { detectJsonArgs } from "#test/helpers/detect-args";
import type { AwsVersion } from "#test/helpers/feed-fixtures";

const CATALOGUE = "fixtures/catalogue/clearswift-seg-5.3.json";

/** Embedded mode whatever the developer's shell has set. */
function withoutAws() {
  vi.stubEnv("AWS_REGION", undefined);
  vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
}

interface ResolveJson {
  runId: string;
  observations: HostObservation[];
}

describe("driftwatch history and ip, over two resolve runs (a move in between)", () => {
  let stateDir: string;
  let first: ResolveJson;
  let second: ResolveJson;

  beforeAll(async () => {
    withoutAws();
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-history-"));
    const resolve = async (zone: string) => {
      const run = await driftwatch(["resolve", "--zone", zone, "--state-dir", stateDir, "--json"]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as ResolveJson;
    };
    first = await resolve("fixtures/dns/clearswift.zone");
    second = await resolve("fixtures/dns/clearswift-v2.zone");
  }, 120_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await rm(stateDir, { recursive: true, force: true });
  });

  const observedAt = (run: ResolveJson) => run.observations[0]?.observedAt ?? "";

  it("answers what a hostname resolved to at the first run's time: its documented IP, with TTL and resolver", async () => {
    // Act
    const { code, stdout } = await driftwatch([
      "history",
      "applianceupdate.clearswift.com",
      "--at",
      observedAt(first),
      "--state-dir",
      stateDir,
      "--json",
    ]);

    // Assess
    expect(code).toBe(0);
    const { observation } = JSON.parse(stdout) as { observation: HostObservation };
    expect(observation.runId).toBe(first.runId);
    expect(observation.outcome).toBe("answered");
    expect(observation.active.map((ip) => ip.ip)).toEqual(["40.113.232.243"]);
    expect(observation.answers).toHaveLength(1);
    expect(observation.answers[0]?.a).toEqual([{ ip: "40.113.232.243", ttl: 300 }]);
    expect(observation.answers[0]?.resolver).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("answers the moved IP for a later time, the old one still in the observed set during its grace period", async () => {
    // Act
    const { code, stdout } = await driftwatch([
      "history",
      "applianceupdate.clearswift.com",
      "--at",
      observedAt(second),
      "--state-dir",
      stateDir,
    ]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(
      `applianceupdate.clearswift.com at ${new Date(observedAt(second)).toISOString()}\n`,
    );
    expect(stdout).toContain(`in effect since run ${second.runId}`);
    expect(stdout).toMatch(
      /observed set \(2\):\n {2}40\.113\.232\.243 .*seen 1×.*\n {2}40\.113\.232\.250 /,
    );
    expect(stdout).toMatch(/answers of that run \(1 resolver\):\n {2}127\.0\.0\.1:\d+: answered/);
    expect(stdout).toContain("    A 40.113.232.250 (TTL 300)\n");
    expect(stdout).not.toContain("A 40.113.232.243 (TTL");
    expect(stdout).toContain("entered the observed set in that run: 40.113.232.250\n");
  });

  it("takes a date as the end of that UTC day", async () => {
    // Act
    const { code, stdout } = await driftwatch([
      "history",
      "applianceupdate.clearswift.com",
      "--at",
      observedAt(second).slice(0, 10),
      "--state-dir",
      stateDir,
      "--json",
    ]);

    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { observation: HostObservation }).observation.runId).toBe(
      second.runId,
    );
  });

  it("shows a failed run with the observed set carried forward, nothing removed", async () => {
    // Act
    const { code, stdout } = await driftwatch([
      "history",
      "ra.swisssign.net",
      "--at",
      observedAt(second),
      "--state-dir",
      stateDir,
    ]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(": servfail (1 failed run in a row)\n");
    expect(stdout).toContain("a failure removes nothing");
    expect(stdout).toMatch(/observed set \(1\):\n {2}91\.208\.105\.24 /);
  });

  it("lists the runs newest first with the IPs each one entered", async () => {
    // Act
    const text = await driftwatch([
      "history",
      "applianceupdate.clearswift.com",
      "--state-dir",
      stateDir,
    ]);
    const json = await driftwatch([
      "history",
      "applianceupdate.clearswift.com",
      "--state-dir",
      stateDir,
      "--json",
    ]);

    // Assess
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe("applianceupdate.clearswift.com: 2 changes, newest first");
    expect(lines[2]).toMatch(
      new RegExp(
        `^${escapeRegExp(observedAt(second))} +${escapeRegExp(second.runId)} +answered +\\+40\\.113\\.232\\.250 +\\[2 observed\\]$`,
      ),
    );
    expect(lines[3]).toMatch(
      new RegExp(
        `^${escapeRegExp(observedAt(first))} +${escapeRegExp(first.runId)} +answered +\\+40\\.113\\.232\\.243 +\\[1 observed\\]$`,
      ),
    );
    const { runs, total } = JSON.parse(json.stdout) as { runs: RunSummary[]; total: number };
    expect(total).toBe(2);
    expect(runs.map((r) => [r.runId, r.entered, r.left, r.observed])).toEqual([
      [second.runId, ["40.113.232.250"], [], ["40.113.232.243", "40.113.232.250"]],
      [first.runId, ["40.113.232.243"], [], ["40.113.232.243"]],
    ]);
  });

  it("bounds the list with --limit and --from", async () => {
    // Act
    const limited = await driftwatch([
      "history",
      "www.clearswift.com",
      "--limit",
      "1",
      "--state-dir",
      stateDir,
    ]);
    const fromSecond = await driftwatch([
      "history",
      "www.clearswift.com",
      "--from",
      observedAt(second),
      "--state-dir",
      stateDir,
      "--json",
    ]);

    // Assess
    // Only the newest run (and one more, to know older ones exist) is read: no total.
    expect(limited.stdout).toContain(
      "www.clearswift.com: the newest 1 change, newest first; older ones exist (--limit, --from, --to)",
    );
    expect(limited.stdout).toContain("suspicious 10.20.30.40 (private)");
    expect(limited.stdout).not.toContain("+23.185.0.1");
    const { runs } = JSON.parse(fromSecond.stdout) as { runs: RunSummary[] };
    expect(runs.map((r) => [r.runId, r.suspicious])).toEqual([
      [second.runId, [{ ip: "10.20.30.40", range: "private" }]],
    ]);
  });

  it("lists every hostname that used a pool IP, with its pool and whether it is still observed", async () => {
    // Act
    const json = await driftwatch([
      "ip",
      "185.155.104.24",
      "--catalogue",
      CATALOGUE,
      "--state-dir",
      stateDir,
      "--json",
    ]);
    const text = await driftwatch(["ip", "185.155.104.24", "--state-dir", stateDir]);

    // Assess
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as IpUse;
    expect(
      answer.hosts.map((h) => [
        h.hostname,
        h.current,
        h.firstSeen,
        h.catalogue.map((c) => c.status),
      ]),
    ).toEqual([
      ["aav-update-1.clearswift.net", true, observedAt(first), ["pool"]],
      ["kav-update-8-1.clearswift.net", true, observedAt(first), ["pool"]],
      ["sav-update-1.clearswift.net", true, observedAt(first), ["pool"]],
    ]);
    expect(answer.hosts[0]?.catalogue[0]).toMatchObject({
      poolId: "av-update-mirrors",
      group: "av-update-mirrors",
      endpointId: "avira-av-updates/aav-update-1.clearswift.net",
    });
    expect(text.stdout).toMatch(/^185\.155\.104\.24: used by 3 hostnames\n/);
    expect(text.stdout).toMatch(
      /kav-update-8-1\.clearswift\.net +first seen \S+ +still observed\n +documented in pool av-update-mirrors for endpoint kaspersky-av-updates\/kav-update-8-1\.clearswift\.net/,
    );
    expect(text.stdout).toContain(
      "pool av-update-mirrors (group av-update-mirrors): aav-update-2.clearswift.net,",
    );
  });

  it("says when an IP is not documented, and names the endpoint a retired IP belonged to", async () => {
    // Act
    const moved = await driftwatch(["ip", "40.113.232.250", "--state-dir", stateDir, "--json"]);
    const retired = await driftwatch(["ip", "50.58.188.57", "--state-dir", stateDir]);

    // Assess
    const answer = JSON.parse(moved.stdout) as IpUse;
    expect(answer.hosts.map((h) => [h.hostname, h.firstRunId, h.catalogue[0]?.status])).toEqual([
      ["applianceupdate.clearswift.com", second.runId, "undocumented"],
    ]);
    expect(retired.code).toBe(0);
    expect(retired.stdout).toContain("50.58.188.57: no hostname has resolved to it");
    expect(retired.stdout).toContain(
      "retired on 2021-06 for endpoint license-key-validation/applianceupdate.clearswift.com",
    );
  });

  it("finds an IPv6 address written in any form", async () => {
    const { code, stdout } = await driftwatch([
      "ip",
      "2A05:D027:0C4E:8D00:0:0:0:10",
      "--state-dir",
      stateDir,
      "--json",
    ]);

    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as IpUse;
    expect(answer.ip).toBe("2a05:d027:c4e:8d00::10");
    expect(answer.hosts.map((h) => [h.hostname, h.family, h.catalogue[0]?.status])).toEqual([
      ["services1.clearswift.net", 6, "published-ranges"],
    ]);
  });

  describe("bad input: a clear error naming what was wrong, exit 1", () => {
    it.each([
      [["ip", "185.155.104.256"], /driftwatch ip: IP: "185\.155\.104\.256" is not an IP address/],
      [["ip", "10.1"], /IP: "10\.1" is not an IP address/],
      [
        ["history", "www.clearswift.com", "--at", "2026-02-30"],
        /driftwatch history: --at: "2026-02-30" is not a date/,
      ],
      [
        ["history", "www.clearswift.com", "--at", "yesterday"],
        /--at: "yesterday" is not a date \(YYYY-MM-DD or an ISO 8601 instant/,
      ],
      [
        ["history", "www.clearswift.com", "--from", "2026-08-21T12:00"],
        /--from: "2026-08-21T12:00" is not a date/,
      ],
      [
        ["history", "www.clearswift.com", "--from", "2026-08-22", "--to", "2026-08-21"],
        /--from: 2026-08-22 is after --to 2026-08-21/,
      ],
      [
        ["history", "www.clearswift.com", "--at", "2026-08-21", "--from", "2026-08-01"],
        /--at: cannot be combined with --from or --to/,
      ],
      [
        ["history", "nowhere.clearswift.com"],
        /driftwatch history: nowhere\.clearswift\.com has never been observed in the embedded store in /,
      ],
      [
        ["history", "not a hostname"],
        /HOSTNAME: "not a hostname" is not a fully qualified hostname/,
      ],
      [
        ["history", "www.clearswift.com", "--at", "2001-01-01"],
        /was not observed yet at 2001-01-01/,
      ],
      [
        ["history", "www.clearswift.com", "--limit", "0"],
        /--limit must be a positive whole number/,
      ],
      [
        ["events", "--type", "ip-moved"],
        /--type: "ip-moved" is not an event type \(one of ip-added,/,
      ],
      [["events", "--since", "last week"], /--since: "last week" is not a date/],
    ])("driftwatch %j", async (args, message) => {
      // Act
      const { code, stdout, stderr } = await driftwatch([...args, "--state-dir", stateDir]);

      // Assess
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stdout).toBe("");
    });

    it("says there is no state rather than creating an empty store", async () => {
      // Prepare
      const missing = join(stateDir, "no-such-dir");

      // Act
      const { code, stderr } = await driftwatch([
        "history",
        "www.clearswift.com",
        "--state-dir",
        missing,
      ]);

      // Assess
      expect(code).toBe(1);
      expect(stderr).toContain(
        `no driftwatch state in ${missing}: run \`driftwatch detect\` first`,
      );
      await expect(readFile(join(missing, "dynamodb", "CURRENT"))).rejects.toThrow(/ENOENT/);
    });
  });
});

describe("driftwatch events, over two detection runs (a change in between)", () => {
  let stateDir: string;
  let dns: ZoneDnsServer;

  beforeAll(async () => {
    withoutAws();
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-events-"));
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    const detect = async (ipRanges: AwsVersion) => {
      const run = await driftwatch(detectJsonArgs(dns.address, stateDir, ipRanges));
      expect(run.code, run.stderr).not.toBe(1);
    };
    await detect("2026-08-21-18-57-05");
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    await detect("2026-08-21-21-17-05");
  }, 120_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("lists the committed events with their change set, each in the SNS contract's event shape", async () => {
    // Act
    const { code, stdout } = await driftwatch(["events", "--state-dir", stateDir, "--json"]);

    // Assess
    expect(code).toBe(0);
    const { events, total } = JSON.parse(stdout) as { events: CommittedEventJson[]; total: number };
    expect(total).toBe(events.length);
    expect(events.map((e) => [e.type, e.endpoint?.hostname, e.added]).sort()).toEqual(
      [
        ["ip-added", "applianceupdate.clearswift.com", ["40.113.232.250"]],
        ["ip-added", "cls.sophosxl.net", ["104.18.12.139", "172.64.152.49"]],
        ["ip-added", "products.clearswift.net", ["34.117.59.81"]],
        ["ip-outside-published-ranges", "products.clearswift.net", ["34.117.59.81"]],
        ["suspicious-answer", "www.clearswift.com", []],
      ].sort(),
    );
    for (const { changeSet, ...event } of events) {
      expect(eventSchemaErrors(event)).toEqual([]);
      expect(changeSet).toMatchObject({ sequence: 1, state: "published" });
    }
  });

  it("keeps the asked types, and nothing before --since", async () => {
    // Act
    const added = await driftwatch(["events", "--type", "ip-added", "--state-dir", stateDir]);
    const suspiciousOrOutside = await driftwatch([
      "events",
      "--type",
      "suspicious-answer",
      "--type",
      "ip-outside-published-ranges",
      "--state-dir",
      stateDir,
      "--json",
    ]);
    const later = await driftwatch(["events", "--since", "2099-01-01", "--state-dir", stateDir]);

    // Assess
    expect(added.stdout).toMatch(/^3 committed change events, newest first\n\n/);
    expect(added.stdout).toMatch(
      /\n\S+ +high +ip-added +license-validation +applianceupdate\.clearswift\.com +published +\+40\.113\.232\.250\n {4}applianceupdate\.clearswift\.com now resolves to 40\.113\.232\.250/,
    );
    const { events } = JSON.parse(suspiciousOrOutside.stdout) as { events: CommittedEventJson[] };
    expect(events.map((e) => e.type).sort()).toEqual([
      "ip-outside-published-ranges",
      "suspicious-answer",
    ]);
    expect(later.code).toBe(0);
    expect(later.stdout).toMatch(/^no committed change events in the embedded store in /);
  });
});

interface CommittedEventJson {
  type: string;
  added: string[];
  endpoint: { hostname: string | null } | null;
  changeSet: { sequence: number; state: string };
}

const schema = JSON.parse(
  readFileSync(
    fileURLToPath(new URL("../../../schema/drift-notification.schema.json", import.meta.url)),
    "utf8",
  ),
) as { $id: string };
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addSchema(schema);

/** Errors of one event against the contract's `event` definition (empty when valid). */
function eventSchemaErrors(event: unknown): string[] {
  const validate = ajv.getSchema(`${schema.$id}#/definitions/event`);
  if (validate === undefined) throw new Error("the schema has no event definition");
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
