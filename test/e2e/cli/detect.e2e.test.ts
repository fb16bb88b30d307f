import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from "#cli/exit-codes";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { detectJsonArgs } from "#test/helpers/detect-args";
import type { AwsVersion } from "#test/helpers/feed-fixtures";

/**
 * `driftwatch detect --json` as a user runs it: the real CLI in a child process (bin/driftwatch.js
 * running the build in dist/, the embedded stores in a state directory), against a zone served on
 * loopback by this process. The child is spawned asynchronously: this process must keep answering
 * DNS.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CATALOGUE_HOSTNAMES = 48;

/** Runs `node bin/driftwatch.js ARGS` in embedded mode; resolves when the process exits. */
function driftwatch(args: string[], killAfterMs = 60_000): Promise<CliRun> {
  return spawnDriftwatch(args, killAfterMs).exited;
}

/** The `--json` report, as far as a consumer relies on it (extra fields are allowed). */
const Report = z.looseObject({
  runId: z.string().min(1),
  startedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  summary: z.looseObject({
    checked: z.number().int(),
    unchanged: z.number().int(),
    drifted: z.number().int(),
    failing: z.number().int(),
    hostnames: z.number().int(),
    resolved: z.number().int(),
    events: z.number().int(),
    newEvents: z.number().int(),
    highSeverity: z.number().int(),
    published: z.number().int(),
    pending: z.number().int(),
  }),
  actions: z.array(
    z.looseObject({
      group: z.string(),
      ports: z.string(),
      protocol: z.string(),
      add: z.array(z.string()),
      remove: z.array(z.string()),
      because: z.array(z.string()),
    }),
  ),
  failures: z.array(
    z.looseObject({
      hostname: z.string(),
      outcome: z.string(),
      detail: z.string(),
      consecutiveFailures: z.number().int().positive(),
    }),
  ),
  suspicious: z.array(
    z.looseObject({
      hostname: z.string(),
      ip: z.string(),
      range: z.string(),
      resolver: z.string(),
    }),
  ),
  feeds: z.array(
    z.looseObject({
      feed: z.enum(["aws-ip-ranges", "cloudfront"]),
      status: z.string(),
      reason: z.string().optional(),
      added: z.number().int(),
      removed: z.number().int(),
    }),
  ),
  exit: z.object({ code: z.union([z.literal(0), z.literal(1), z.literal(2)]), reason: z.string() }),
  events: z.array(z.looseObject({ eventId: z.string(), new: z.boolean() })),
});
type Report = z.infer<typeof Report>;

/** The fields the assertions read from an event (validated against the schema first). */
interface ReportEvent {
  eventId: string;
  new: boolean;
  type: string;
  severity: string;
  group: string | null;
  endpoint: { hostname: string | null; ports: { protocol: string; port: number }[] } | null;
  endpoints: { hostname: string | null }[];
  added: string[];
  removed: string[];
  evidence: { suspicious?: { ip: string; range: string }[]; ips?: { publishedIn?: unknown[] }[] };
}

const schema = JSON.parse(
  readFileSync(join(ROOT, "schema/drift-notification.schema.json"), "utf8"),
) as { $id: string; definitions?: Record<string, unknown> };
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addSchema(schema);

/** Errors of one report event against the SNS contract's `event` definition. */
function eventSchemaErrors(event: Record<string, unknown>): string[] {
  const validate = ajv.getSchema(`${schema.$id}#/definitions/event`);
  if (validate === undefined) throw new Error("schema/drift-notification.schema.json has no event");
  // `new` belongs to the run report, not to the event contract.
  const { new: _new, ...contractEvent } = event;
  if (validate(contractEvent)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

/** Parses and checks a run's report: the shape, and every event against the schema. */
function reportOf(run: CliRun): Report & { events: ReportEvent[] } {
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch (error) {
    throw new Error(`stdout is not JSON (exit ${run.code}); stderr:\n${run.stderr}`, {
      cause: error,
    });
  }
  const report = Report.parse(json);
  for (const event of report.events) expect(eventSchemaErrors(event)).toEqual([]);
  return report as Report & { events: ReportEvent[] };
}

const eventsAbout = (report: { events: ReportEvent[] }, type: string, hostname: string) =>
  report.events.filter(
    (e) =>
      e.type === type &&
      (e.endpoint?.hostname === hostname || e.endpoints.some((p) => p.hostname === hostname)),
  );

/** A UDP socket that takes every query and never answers: a resolver that is down. */
async function silentResolver(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

describe("driftwatch detect --json, twice, with a change in between", () => {
  let dns: ZoneDnsServer;
  let stateDir: string;
  let first: CliRun;
  let second: CliRun;
  let third: CliRun;

  const detect = (ipRanges: AwsVersion) =>
    driftwatch(detectJsonArgs(dns.address, stateDir, ipRanges));

  beforeAll(async () => {
    dns = await startZoneDnsServer({ zoneFile: join(ROOT, "fixtures/dns/clearswift.zone") });
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-"));
    first = await detect("2026-08-21-18-57-05");
    // The scripted changes (fixtures/dns/clearswift-v2.zone's header) and a newer ip-ranges.json.
    dns.reload(await readFile(join(ROOT, "fixtures/dns/clearswift-v2.zone"), "utf8"));
    second = await detect("2026-08-21-21-17-05");
    // Nothing changes before the third run.
    third = await detect("2026-08-21-21-17-05");
  }, 180_000);
  afterAll(async () => {
    await dns?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("first run: every hostname resolved, both feeds read, nothing to act on (exit 0)", () => {
    const report = reportOf(first);

    expect(first.code, first.stderr).toBe(EXIT_OK);
    expect(report.exit.code).toBe(EXIT_OK);
    expect(report.summary).toMatchObject({
      hostnames: CATALOGUE_HOSTNAMES,
      resolved: CATALOGUE_HOSTNAMES,
      failing: 0,
      highSeverity: 0,
    });
    expect(report.failures).toEqual([]);
    expect(report.suspicious).toEqual([]);
    expect(report.actions).toEqual([]);
    expect(report.feeds.map((f) => [f.feed, f.status])).toEqual([
      ["aws-ip-ranges", "updated"],
      ["cloudfront", "updated"],
    ]);
  });

  it("second run: drift to act on (exit 2), the moved host's new IP as ip-added with its group and ports", () => {
    const report = reportOf(second);

    expect(second.code, second.stderr).toBe(EXIT_DRIFT);
    expect(report.exit.code).toBe(EXIT_DRIFT);
    const moved = eventsAbout(report, "ip-added", "applianceupdate.clearswift.com");
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({
      severity: "high",
      group: "license-validation",
      added: ["40.113.232.250"],
      removed: [],
      new: true,
    });
    expect(moved[0]?.endpoint?.ports).toEqual([{ protocol: "tcp", port: 443, direction: "out" }]);
    expect(report.actions).toContainEqual(
      expect.objectContaining({
        group: "license-validation",
        ports: "443",
        protocol: "tcp",
        add: ["40.113.232.250"],
        remove: [],
      }),
    );
  });

  it("second run: the private answer is a suspicious-answer, never an added IP", () => {
    const report = reportOf(second);

    const suspicious = eventsAbout(report, "suspicious-answer", "www.clearswift.com");
    expect(suspicious).toHaveLength(1);
    expect(suspicious[0]?.evidence.suspicious).toEqual([
      expect.objectContaining({ ip: "10.20.30.40", range: "private" }),
    ]);
    expect(report.suspicious).toEqual([
      {
        hostname: "www.clearswift.com",
        ip: "10.20.30.40",
        range: "private",
        resolver: dns.address,
      },
    ]);
    expect(report.events.flatMap((e) => e.added)).not.toContain("10.20.30.40");
  });

  it("second run: the CloudFront host's outside IP is ip-outside-published-ranges", () => {
    const report = reportOf(second);

    const outside = eventsAbout(report, "ip-outside-published-ranges", "products.clearswift.net");
    expect(outside).toHaveLength(1);
    expect(outside[0]).toMatchObject({
      severity: "high",
      group: "product-updates",
      added: ["34.117.59.81"],
      new: true,
    });
    expect(outside[0]?.evidence.ips?.[0]?.publishedIn).toEqual([]);
  });

  it("second run: the failing host is in failures and nothing is removed for it (nor for anyone)", () => {
    const report = reportOf(second);

    expect(report.failures).toEqual([
      expect.objectContaining({
        hostname: "ra.swisssign.net",
        outcome: "servfail",
        consecutiveFailures: 1,
        detail: expect.stringContaining(`${dns.address}: servfail`),
      }),
    ]);
    expect(eventsAbout(report, "ip-removed", "ra.swisssign.net")).toEqual([]);
    // 13.32.121.120 left products.clearswift.net's answer too: removals wait for the grace period.
    expect(report.events.filter((e) => e.type === "ip-removed")).toEqual([]);
    expect(report.actions.flatMap((a) => a.remove)).toEqual([]);
    expect(report.summary).toMatchObject({ resolved: CATALOGUE_HOSTNAMES - 1, failing: 1 });
  });

  it("second run: the newer ip-ranges.json is read as an update", () => {
    const report = reportOf(second);

    expect(report.feeds).toEqual([
      expect.objectContaining({ feed: "aws-ip-ranges", status: "updated", added: 2, removed: 0 }),
      expect.objectContaining({ feed: "cloudfront", status: "unchanged" }),
    ]);
  });

  it("reports an event as new only in the run that first committed it", () => {
    const firstReport = reportOf(first);
    const secondReport = reportOf(second);
    const thirdReport = reportOf(third);

    // The healthy first run has no event; any it had must not come back as new.
    const firstIds = new Set(firstReport.events.map((e) => e.eventId));
    for (const event of secondReport.events) expect(event.new).toBe(!firstIds.has(event.eventId));
    expect(secondReport.summary.newEvents).toBe(secondReport.events.length);
    // Nothing changed before the third run: what still stands is reported, but not as new.
    expect(thirdReport.summary.newEvents).toBe(0);
    expect(thirdReport.events.map((e) => [e.type, e.new])).toEqual([["suspicious-answer", false]]);
    const secondIds = new Set(secondReport.events.map((e) => e.eventId));
    for (const event of thirdReport.events) expect(secondIds.has(event.eventId)).toBe(true);
  });

  it("then, with no DNS server and no feed reachable: every hostname failing with its reason, no IP removed, exit 1", async () => {
    // Prepare
    const port = await closedLoopbackPort();
    const [dnsPort, httpPort] = [port, port];

    // Act
    const offline = await driftwatch([
      "detect",
      "--json",
      "--dns-server",
      `127.0.0.1:${dnsPort}`,
      "--timeout-ms",
      "200",
      "--deadline",
      "5",
      "--state-dir",
      stateDir,
      "--aws-ip-ranges-url",
      `http://127.0.0.1:${httpPort}/ip-ranges.json`,
      "--cloudfront-url",
      `http://127.0.0.1:${httpPort}/list-cloudfront-ips`,
    ]);

    // Assess
    expect(offline.code, offline.stderr).toBe(EXIT_ERROR);
    const report = reportOf(offline);
    expect(report.exit.reason).toMatch(/nothing could be observed/);
    expect(report.summary).toMatchObject({ hostnames: CATALOGUE_HOSTNAMES, resolved: 0 });
    expect(report.failures).toHaveLength(CATALOGUE_HOSTNAMES);
    for (const failure of report.failures) {
      expect(failure.detail).toContain(`127.0.0.1:${dnsPort}: `);
    }
    expect(report.events.filter((e) => e.type === "ip-removed")).toEqual([]);
    expect(report.actions.flatMap((a) => a.remove)).toEqual([]);
    expect(report.feeds.map((f) => [f.feed, f.status])).toEqual([
      ["aws-ip-ranges", "unreachable"],
      ["cloudfront", "unreachable"],
    ]);
    for (const feed of report.feeds) expect(feed.reason).toContain(`127.0.0.1:${httpPort}`);
  }, 60_000);
});

describe("driftwatch detect --json on a machine without DNS or internet, first run", () => {
  let stateDir: string;
  let resolver: Socket;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-offline-"));
    resolver = await silentResolver();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => resolver.close(resolve));
    await rm(stateDir, { recursive: true, force: true });
  });

  it("completes within its deadline, every hostname a timeout, feeds unreachable, exit 1", async () => {
    // Prepare: a resolver that never answers (every query times out) and a closed HTTP port
    const httpPort = await closedLoopbackPort();
    const deadlineSeconds = 5;

    // Act
    const run = await driftwatch([
      "detect",
      "--json",
      "--dns-server",
      `127.0.0.1:${resolver.address().port}`,
      "--timeout-ms",
      "200",
      "--deadline",
      String(deadlineSeconds),
      "--state-dir",
      stateDir,
      "--aws-ip-ranges-url",
      `http://127.0.0.1:${httpPort}/`,
      "--cloudfront-url",
      `http://127.0.0.1:${httpPort}/`,
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(EXIT_ERROR);
    // The deadline bounds DNS; start-up, the stores and the report come on top of it.
    expect(run.elapsedMs).toBeLessThan((deadlineSeconds + 10) * 1000);
    const report = reportOf(run);
    expect(report.failures).toHaveLength(CATALOGUE_HOSTNAMES);
    expect(new Set(report.failures.map((f) => f.outcome))).toEqual(new Set(["timeout"]));
    for (const failure of report.failures) expect(failure.detail).not.toBe("");
    expect(report.events.filter((e) => e.type === "ip-removed")).toEqual([]);
    expect(report.feeds.every((f) => f.status === "unreachable" && f.reason !== undefined)).toBe(
      true,
    );
  }, 60_000);
});
