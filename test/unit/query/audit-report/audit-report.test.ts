import { describe, expect, it } from "vitest";
import type { Endpoint } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord, EventQueries } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import type { FeedPointerStore } from "#shared/observe/feeds/ports";
import { endpointStatus } from "#shared/query/audit-report/endpoint-status";
import { gatherAuditReport } from "#shared/query/audit-report/gather-audit-report";
import { hostTimeline } from "#shared/query/audit-report/host-timeline";
import { escapeHtml } from "#shared/query/audit-report/html/escape";
import { renderAuditReport } from "#shared/query/audit-report/html/render-audit-report";
import { catalogue, observation } from "#test/helpers/verdict-fixtures";

const HOST = "clearswifhelp.clearswift.com";
const at = (hour: number) => `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;

function endpointFor(hostname: string): Endpoint {
  const found = catalogue.endpoints.find((e) => e.hostname === hostname);
  if (found === undefined) throw new Error(`no endpoint for ${hostname} in the fixture`);
  return found;
}

function driftEvent(endpoint: Endpoint, overrides: Partial<DriftEvent> = {}): DriftEvent {
  const ref = {
    id: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    service: endpoint.service,
    policy: endpoint.policy,
    ports: endpoint.ports,
  };
  return {
    eventId: "e".repeat(64),
    type: "ip-added",
    severity: "high",
    runId: "run-3",
    detectedAt: at(3),
    subject: { kind: "endpoint", key: `endpoint:${endpoint.id}`, endpointId: endpoint.id },
    group: endpoint.group,
    endpoint: ref,
    endpoints: [ref],
    added: ["40.113.232.250"],
    removed: [],
    evidence: {},
    reason: `${endpoint.hostname} now resolves to 40.113.232.250`,
    action: "allow it",
    warnings: [],
    ...overrides,
  } satisfies DriftEvent;
}

/** A hostname's three runs: a baseline, a move (the new IP enters), the old IP leaves. */
function movingHost(hostname: string): HostObservation[] {
  return [
    observation(hostname, { observedAt: at(1), runId: "run-1", entered: ["40.113.232.243"] }),
    observation(hostname, {
      observedAt: at(2),
      runId: "run-2",
      active: ["40.113.232.243"],
      entered: ["40.113.232.250"],
    }),
    observation(hostname, {
      observedAt: at(3),
      runId: "run-3",
      active: ["40.113.232.250"],
      left: ["40.113.232.243"],
    }),
  ];
}

describe("endpointStatus", () => {
  const endpoint = endpointFor(HOST);
  const runs = movingHost(HOST);

  it("is drifted since its newest high or medium event of the period", () => {
    // Act
    const row = endpointStatus(endpoint, runs[2] ?? null, runs, [
      driftEvent(endpoint, { detectedAt: at(2) }),
      driftEvent(endpoint, { detectedAt: at(3), type: "ip-removed" }),
    ]);

    // Assess
    expect(row).toMatchObject({ status: "drifted", since: at(3), detail: "ip-added, ip-removed" });
    expect(row.observed).toEqual(["40.113.232.250"]);
  });

  it("is failing since the first run of its failure streak, not counting low events as drift", () => {
    // Prepare
    const failing = [
      observation(HOST, { observedAt: at(1), runId: "run-1", active: ["40.113.232.243"] }),
      observation(HOST, { observedAt: at(2), outcome: "servfail", consecutiveFailures: 1 }),
      observation(HOST, { observedAt: at(3), outcome: "timeout", consecutiveFailures: 2 }),
    ];

    // Act
    const row = endpointStatus(endpoint, failing[2] ?? null, failing, []);

    // Assess
    expect(row).toMatchObject({ status: "failing", since: at(2) });
    expect(row.detail).toBe("timeout (2 runs in a row)");
  });

  it("is suspicious when the last run had a private answer, before anything else", () => {
    // Prepare
    const state = observation(HOST, {
      observedAt: at(3),
      active: ["40.113.232.243"],
      suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
    });

    // Act
    const row = endpointStatus(endpoint, state, [state], [driftEvent(endpoint)]);

    // Assess
    expect(row).toMatchObject({
      status: "suspicious",
      since: at(3),
      detail: "10.20.30.40 (private)",
    });
  });

  it("is ok since it was tracked when nothing happened, and not-observed without a state", () => {
    // Act
    const ok = endpointStatus(endpoint, runs[0] ?? null, runs.slice(0, 1), [
      driftEvent(endpoint, { severity: "low", type: "documented-ip-unused" }),
    ]);
    const never = endpointStatus(endpoint, null, [], []);

    // Assess
    expect(ok).toMatchObject({ status: "ok", since: runs[0]?.trackedSince });
    expect(never).toMatchObject({ status: "not-observed", detail: "never observed" });
  });
});

describe("hostTimeline", () => {
  it("draws when each IP was in the observed set, seen, entered and left", () => {
    // Act
    const timeline = hostTimeline(HOST, movingHost(HOST), false);

    // Assess
    expect(timeline.runs.map((run) => run.runId)).toEqual(["run-1", "run-2", "run-3"]);
    const [old, moved] = timeline.ips;
    expect(old).toMatchObject({
      ip: "40.113.232.243",
      spans: [{ from: at(1), to: at(3) }],
      seen: [at(1), at(2)],
      entered: [at(1)],
      left: [at(3)],
    });
    expect(moved).toMatchObject({
      ip: "40.113.232.250",
      spans: [{ from: at(2), to: null }],
      seen: [at(2), at(3)],
      entered: [at(2)],
      left: [],
    });
  });

  it("marks a suspicious answer's IP, which never enters the observed set", () => {
    // Prepare
    const run = observation(HOST, {
      observedAt: at(1),
      active: ["40.113.232.243"],
      suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
    });
    run.answers[0]?.a.push({ ip: "10.20.30.40", ttl: 60 });

    // Act
    const timeline = hostTimeline(HOST, [run], false);

    // Assess
    expect(timeline.ips.find((ip) => ip.ip === "10.20.30.40")).toMatchObject({
      suspicious: true,
      spans: [],
      seen: [at(1)],
    });
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that can end text or a quoted attribute", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });
});

/** The query ports over fixed data, in memory. */
function ports(runs: HostObservation[], changeSets: ChangeSetRecord[]) {
  const observations: Pick<ObservationQueries, "history" | "observationAt"> = {
    async history(hostname, range = {}) {
      const mine = runs.filter(
        (run) =>
          run.hostname === hostname &&
          (range.from === undefined || run.observedAt >= range.from) &&
          (range.to === undefined || run.observedAt <= range.to),
      );
      return range.limit === undefined ? mine : mine.slice(-range.limit);
    },
    async observationAt(hostname, instant) {
      return runs.filter((r) => r.hostname === hostname && r.observedAt <= instant).at(-1) ?? null;
    },
  };
  const events: Pick<EventQueries, "listChangeSets" | "publishedChangeSets"> = {
    async listChangeSets(range = {}) {
      return changeSets.filter((c) => range.since === undefined || c.createdAt >= range.since);
    },
    async publishedChangeSets(page) {
      const published = changeSets.filter(
        (c) =>
          c.publishedAt !== undefined && (page.since === undefined || c.publishedAt >= page.since),
      );
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      const end = start + page.limit;
      return {
        changeSets: published.slice(start, end),
        cursor: end < published.length ? String(end) : null,
      };
    },
  };
  const feedPointers: Pick<FeedPointerStore, "get"> = { get: async () => null };
  return { observations, events, feedPointers };
}

function changeSet(event: DriftEvent, subjectLine: string): ChangeSetRecord {
  return {
    changeSetId: "c".repeat(64),
    subject: event.subject,
    group: event.group,
    sequence: 1,
    runId: event.runId,
    catalogueId: catalogue.id,
    createdAt: event.detectedAt,
    events: [event],
    state: "published",
    attempts: 1,
    publishedParts: [],
    publishedAt: event.detectedAt,
    deliveries: [
      {
        part: 1,
        topicArn: "arn:aws:sns:eu-west-1:123456789012:driftwatch-events",
        messageId: "m-1",
        subject: subjectLine,
        severity: event.severity,
        sentAt: event.detectedAt,
        eventIds: [event.eventId],
      },
    ],
  };
}

describe("gatherAuditReport and renderAuditReport", () => {
  const endpoint = endpointFor(HOST);
  const hostile = `<script>alert("x")</script>`;
  const event = driftEvent(endpoint, { reason: `moved ${hostile}` });
  const deps = ports(movingHost(HOST), [changeSet(event, `driftwatch HIGH & ${hostile}`)]);
  const input = { catalogue, now: at(12), runsPerHostname: 2, listLimit: 10 };

  it("gathers the period's statuses, the newest runs per hostname, events and notifications", async () => {
    // Act
    const report = await gatherAuditReport(deps, { ...input, from: at(2) });

    // Assess
    expect(report.period).toEqual({ from: at(2), to: at(12) });
    expect(report.endpoints.find((row) => row.endpointId === endpoint.id)?.status).toBe("drifted");
    const timeline = report.timelines.find((t) => t.hostname === HOST);
    expect(timeline?.runs.map((run) => run.runId)).toEqual(["run-2", "run-3"]);
    expect(timeline?.truncated).toBe(false);
    expect(report.events.map((e) => e.eventId)).toEqual([event.eventId]);
    expect(report.notifications.map((n) => n.messages[0]?.messageId)).toEqual(["m-1"]);
    expect(report.feeds.map((feed) => [feed.feed, feed.pointer])).toEqual([
      ["aws-ip-ranges", null],
      ["cloudfront", null],
    ]);
  });

  it("leaves out what happened after the period's end", async () => {
    // Act
    const report = await gatherAuditReport(deps, { ...input, to: at(2) });

    // Assess
    expect(report.events).toEqual([]);
    expect(report.notifications).toEqual([]);
    expect(report.endpoints.find((row) => row.endpointId === endpoint.id)?.observed).toEqual([
      "40.113.232.243",
      "40.113.232.250",
    ]);
  });

  it("renders a self-contained page: no script, nothing fetched, every stored value escaped", async () => {
    // Prepare
    const report = await gatherAuditReport(deps, input);

    // Act
    const page = renderAuditReport(report);

    // Assess
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\b(src|href)="(?!#)/);
    expect(page).not.toMatch(/<link\b|@import|url\(/i);
    expect(page).toContain(
      `content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:"`,
    );
    expect(page).toContain("moved &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page).toContain("driftwatch HIGH &amp; &lt;script&gt;");
    expect(page).toContain("@media print");
    expect(page).toContain(`aria-label="IP timeline of ${HOST}"`);
    expect(page.match(/<svg /g)?.length).toBeGreaterThan(1);
  });
});
