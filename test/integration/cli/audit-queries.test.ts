import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import type { Change } from "#shared/query/changes-between";
import type { NotificationMessage } from "#shared/query/notifications";
import type { EndpointState } from "#shared/query/state-at";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";
import { readCsvRecords } from "#test/helpers/csv-reader";
import { detectJsonArgs } from "#test/helpers/detect-args";

/** The CSV's records as objects by header; each has every column, and the text ends with CRLF. */
function parseCsv(text: string): Record<string, string>[] {
  const { rows, rest } = readCsvRecords(text);
  expect(rest, "the CSV ends with CRLF").toBe("");
  const [header = [], ...records] = rows;
  for (const record of records) expect(record).toHaveLength(header.length);
  return records.map((record) =>
    Object.fromEntries(header.map((name, i) => [name, record[i] ?? ""])),
  );
}

describe("driftwatch state, changes and notifications, over two detection cycles (drift in between)", () => {
  let stateDir: string;
  let dns: ZoneDnsServer;
  let beforeFirst: string;
  let betweenRuns: string;
  let afterSecond: string;

  const ask = async (args: string[]) => {
    const run = await driftwatch([...args, "--state-dir", stateDir]);
    expect(run.code, run.stderr).toBe(0);
    return run.stdout;
  };

  beforeAll(async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-audit-"));
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    beforeFirst = new Date().toISOString();
    const first = await driftwatch(detectJsonArgs(dns.address, stateDir, "2026-08-21-18-57-05"));
    expect(first.code, first.stderr).not.toBe(1);
    betweenRuns = new Date().toISOString();
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const second = await driftwatch(detectJsonArgs(dns.address, stateDir, "2026-08-21-21-17-05"));
    expect(second.code, second.stderr).not.toBe(1);
    afterSecond = new Date().toISOString();
  }, 180_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("answers each endpoint's status after the second run: drifted, suspicious, failing, ok", async () => {
    // Act
    const { endpoints, at } = JSON.parse(await ask(["state", "--at", afterSecond, "--json"])) as {
      at: string;
      endpoints: EndpointState[];
    };

    // Assess
    expect(at).toBe(afterSecond);
    const byHost = (hostname: string) => endpoints.find((e) => e.hostname === hostname);
    expect(byHost("applianceupdate.clearswift.com")).toMatchObject({
      status: "drifted",
      observed: expect.arrayContaining(["40.113.232.243", "40.113.232.250"]),
      openEvents: [expect.objectContaining({ type: "ip-added", ips: ["40.113.232.250"] })],
    });
    expect(byHost("www.clearswift.com")).toMatchObject({
      status: "suspicious",
      suspicious: [{ ip: "10.20.30.40", range: "private" }],
    });
    expect(byHost("ra.swisssign.net")).toMatchObject({ status: "failing", consecutiveFailures: 1 });
    expect(endpoints.filter((e) => e.status === "ok").length).toBeGreaterThan(30);
    for (const e of endpoints.filter((s) => s.status !== "not-observed")) {
      expect(e.since, e.endpointId).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
  });

  it("answers the state between the runs: the moved host still ok, and nothing before the first run", async () => {
    const between = JSON.parse(await ask(["state", "--at", betweenRuns, "--json"])) as {
      endpoints: EndpointState[];
    };
    const before = JSON.parse(await ask(["state", "--at", beforeFirst, "--json"])) as {
      endpoints: EndpointState[];
    };

    const appliance = between.endpoints.find(
      (e) => e.hostname === "applianceupdate.clearswift.com",
    );
    expect(appliance).toMatchObject({ status: "ok", observed: ["40.113.232.243"] });
    expect(before.endpoints.every((e) => e.status === "not-observed")).toBe(true);
  });

  it("answers the same state as CSV, one row per endpoint under a header", async () => {
    const json = JSON.parse(await ask(["state", "--at", afterSecond, "--json"])) as {
      endpoints: EndpointState[];
    };

    const rows = parseCsv(await ask(["state", "--at", afterSecond, "--csv"]));

    expect(rows.map((r) => [r.endpointId, r.status, r.since, r.observed])).toEqual(
      json.endpoints.map((e) => [e.endpointId, e.status, e.since ?? "", e.observed.join(" ")]),
    );
  });

  it("answers what entered and left between the runs, per hostname and per feed group, with the run", async () => {
    // Act
    const { changes } = JSON.parse(await ask(["changes", "--from", betweenRuns, "--json"])) as {
      changes: Change[];
    };

    // Assess
    expect(changes).toContainEqual(
      expect.objectContaining({
        kind: "hostname",
        hostname: "applianceupdate.clearswift.com",
        change: "entered",
        ip: "40.113.232.250",
        previous: ["40.113.232.243"],
        current: ["40.113.232.243", "40.113.232.250"],
        runId: expect.any(String),
      }),
    );
    const feedChanges = changes.filter((c) => c.kind === "feed");
    // These two runs commit no feed-ranges-changed event (the events test in history.test.ts lists
    // the same events); feed changes are covered by test/unit/query/changes-between.test.ts.
    expect(feedChanges).toEqual([]);
    const rows = parseCsv(
      await ask(["changes", "--from", betweenRuns, "--to", afterSecond, "--csv"]),
    );
    expect(rows.map((r) => [r.kind, r.change, r.value, r.runId])).toEqual(
      changes.map((c) => [c.kind, c.change, c.kind === "hostname" ? c.ip : c.prefix, c.runId]),
    );
  });

  it("answers nothing entered or left before the first run", async () => {
    const text = await ask(["changes", "--from", "2001-01-01", "--to", "2001-01-02"]);
    const { changes } = JSON.parse(
      await ask(["changes", "--from", "2001-01-01", "--to", "2001-01-02", "--json"]),
    ) as { changes: Change[] };

    expect(text).toContain("nothing entered or left");
    expect(changes).toEqual([]);
  });

  it("lists every notification published with its topic, SNS message id, subject, severity and events", async () => {
    // Act
    const { notifications } = JSON.parse(await ask(["notifications", "--json"])) as {
      notifications: NotificationMessage[];
    };
    const rows = parseCsv(await ask(["notifications", "--csv"]));
    const later = JSON.parse(await ask(["notifications", "--since", afterSecond, "--json"])) as {
      notifications: NotificationMessage[];
    };

    // Assess
    expect(notifications.length).toBeGreaterThan(0);
    for (const n of notifications) {
      expect(n.messageId).toEqual(expect.any(String));
      expect(n.topicArn).toMatch(/^arn:aws:sns:/);
      expect(n.subject).toEqual(expect.any(String));
      expect(n.eventIds.length).toBeGreaterThan(0);
    }
    expect(rows.map((r) => [r.messageId, r.topicArn, r.severity, r.eventIds])).toEqual(
      notifications.map((n) => [n.messageId, n.topicArn, n.severity, n.eventIds.join(" ")]),
    );
    expect(later.notifications).toEqual([]);
  });

  it("answers history, ip and events as CSV with the rows of their JSON", async () => {
    const history = JSON.parse(
      await ask(["history", "applianceupdate.clearswift.com", "--json"]),
    ) as { runs: { runId: string }[]; total: number };
    const historyRows = parseCsv(await ask(["history", "applianceupdate.clearswift.com", "--csv"]));
    const ip = JSON.parse(await ask(["ip", "40.113.232.250", "--json"])) as {
      hosts: { hostname: string }[];
    };
    const ipRows = parseCsv(await ask(["ip", "40.113.232.250", "--csv"]));
    const events = JSON.parse(await ask(["events", "--json"])) as {
      events: { eventId: string }[];
      total: number;
    };
    const eventRows = parseCsv(await ask(["events", "--csv"]));

    expect(history.total).toBe(2);
    expect(historyRows.map((r) => r.runId)).toEqual(history.runs.map((r) => r.runId));
    expect(ipRows.map((r) => r.hostname)).toEqual(ip.hosts.map((h) => h.hostname));
    expect(ipRows[0]?.hostname).toBe("applianceupdate.clearswift.com");
    expect(events.total).toBeGreaterThan(0);
    expect(eventRows.map((r) => r.eventId)).toEqual(events.events.map((e) => e.eventId));
  });

  it.each([
    [["state", "--at", "yesterday"], /--at: "yesterday" is not a date/],
    [["changes", "--from", "2026-13-01"], /--from: "2026-13-01" is not a date/],
    [["changes", "--from", "2026-08-22", "--to", "2026-08-21"], /--from: 2026-08-22 is after --to/],
    [["notifications", "--since", "2026-08-21 12:00"], /--since: "2026-08-21 12:00" is not a date/],
    [["state", "--json", "--csv"], /--json and --csv cannot be combined/],
    [["ip", "10.0.0.256", "--csv"], /IP: "10.0.0.256" is not an IP address/],
    [
      ["history", "no-such-host.example.com", "--csv"],
      /no-such-host\.example\.com has never been observed/,
    ],
  ])("refuses driftwatch %j with a message naming the value, exit 1", async (args, message) => {
    const { code, stdout, stderr } = await driftwatch([...args, "--state-dir", stateDir]);

    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });
});
