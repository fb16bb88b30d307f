import { describe, expect, it } from "vitest";
import { renderReport } from "#cli/render-report";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { ReportedCycle } from "#shared/detect/report";
import { buildDetectionReport } from "#shared/detect/report";
import type { FeedIngestResult } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import { committedDrift, LOCATIONS } from "#test/helpers/report-fixtures";
import {
  AWS_META,
  catalogue,
  driftInput,
  feeds,
  HOSTS,
  NOW,
  observation,
  RUN_ID,
  steadyState,
} from "#test/helpers/verdict-fixtures";

const unreachable = (feed: FeedIngestResult["feed"]): FeedIngestResult => ({
  feed,
  status: "unreachable",
  reason: `feed ${feed} unreachable: ENOTFOUND`,
  current: null,
});

/** A cycle result whose drift step evaluated the observations and committed every event. */
function cycle(
  observations: HostObservation[],
  feedResults: FeedIngestResult[] = [],
): ReportedCycle {
  const input = driftInput(observations, { feeds: feeds(feedResults) });
  const drift = committedDrift(RUN_ID, evaluateDrift(input));
  return {
    runId: RUN_ID,
    startedAt: NOW.toISOString(),
    durationMs: 1234,
    catalogue,
    observations,
    duplicateRun: false,
    feeds: feedResults,
    matchers: input.feeds.matchers,
    drift,
    backlog: [],
  };
}

describe("the detection report", () => {
  it("exits 0 with nothing to act on when every host serves what its policy expects", () => {
    // Act
    const report = buildDetectionReport(cycle(steadyState()), LOCATIONS);

    // Assess
    expect(report.exit.code).toBe(0);
    expect(report.summary).toMatchObject({ checked: 7, unchanged: 7, drifted: 0, failing: 0 });
    expect(report.actions).toEqual([]);
    expect(renderReport(report)).toContain("nothing new to add or remove");
  });

  it("exits 2 and lists the IP to allow under its firewall rule when a pinned host moves", () => {
    // Prepare
    const moved = steadyState().map((o) =>
      o.hostname === HOSTS.pinned
        ? observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })
        : o,
    );

    // Act
    const report = buildDetectionReport(cycle(moved), LOCATIONS);

    // Assess
    expect(report.exit).toEqual({ code: 2, reason: "1 new high-severity event(s) to act on" });
    expect(report.summary.drifted).toBe(1);
    const pinned = catalogue.endpoints.find((e) => e.hostname === HOSTS.pinned);
    expect(report.actions).toEqual([
      {
        group: pinned?.group,
        ports: String(pinned?.ports[0]?.port),
        protocol: "tcp",
        add: ["3.10.94.200"],
        remove: [],
        hostnames: [HOSTS.pinned],
        because: ["ip-added"],
      },
    ]);
    expect(report.events.every((e) => e.new)).toBe(true);
  });

  it("exits 0 when the only high-severity condition was notified by an earlier run", () => {
    // Prepare: the same move as above, but its change set was committed before this run
    const moved = steadyState().map((o) =>
      o.hostname === HOSTS.pinned
        ? observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })
        : o,
    );
    const result = cycle(moved);
    result.drift.changeSets = [];

    // Act
    const report = buildDetectionReport(result, LOCATIONS);

    // Assess
    expect(report.exit.code).toBe(0);
    expect(report.exit.reason).toContain("notified before still stand");
    expect(report.actions.map((a) => a.add)).toEqual([["3.10.94.200"]]);
    expect(report.events.every((e) => !e.new)).toBe(true);
  });

  it("exits 1 when nothing could be observed, and reports every failure without removing an IP", () => {
    // Prepare: every name fails, both feeds unreachable (a machine without network)
    const failing = steadyState().map((o) =>
      observation(o.hostname, { outcome: "nxdomain", active: o.active.map((ip) => ip.ip) }),
    );

    // Act
    const report = buildDetectionReport(
      cycle(failing, [unreachable("aws-ip-ranges"), unreachable("cloudfront")]),
      LOCATIONS,
    );

    // Assess
    expect(report.exit.code).toBe(1);
    expect(report.failures.map((f) => f.hostname).sort()).toEqual(
      failing.map((o) => o.hostname).sort(),
    );
    expect(report.failures.every((f) => f.detail.includes("nxdomain"))).toBe(true);
    expect(report.events.filter((e) => e.type === "ip-removed")).toEqual([]);
    expect(report.feeds.map((f) => f.status)).toEqual(["unreachable", "unreachable"]);
    expect(renderReport(report)).toContain("unknown: no hostname resolved");
    expect(renderReport(report)).not.toContain("nothing new to add or remove");
  });

  it("counts an endpoint as failing, not also drifted, so the summary adds up to the endpoints checked", () => {
    // Prepare: an event names the pinned endpoint (as a feed event names every endpoint of its
    // group) while its hostname fails in the same run
    const moved = steadyState().map((o) =>
      o.hostname === HOSTS.pinned
        ? observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })
        : o,
    );
    const result = cycle(moved);
    result.observations = result.observations.map((o) =>
      o.hostname === HOSTS.pinned ? { ...o, outcome: "servfail" } : o,
    );

    // Act
    const { summary } = buildDetectionReport(result, LOCATIONS);

    // Assess
    expect(summary).toMatchObject({ checked: 7, unchanged: 6, drifted: 0, failing: 1 });
    expect(summary.unchanged + summary.drifted + summary.failing).toBe(summary.checked);
  });

  it("does not count the endpoints of a rejected feed download as drifted", () => {
    // Prepare: every host healthy, the ip-ranges.json download failed verification
    const rejected: FeedIngestResult = {
      feed: "aws-ip-ranges",
      status: "rejected",
      reason: "feed aws-ip-ranges rejected: HTML page instead of JSON",
      current: AWS_META,
    };

    // Act
    const report = buildDetectionReport(cycle(steadyState(), [rejected]), LOCATIONS);

    // Assess
    expect(report.events.map((e) => e.type)).toContain("feed-rejected");
    expect(report.summary).toMatchObject({ drifted: 0, unchanged: report.summary.checked });
  });

  it("shows suspicious answers apart from the drift table", () => {
    // Prepare
    const hijacked = steadyState().map((o) =>
      o.hostname === HOSTS.pinned
        ? observation(HOSTS.pinned, {
            active: ["3.10.94.193"],
            suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
          })
        : o,
    );

    // Act
    const report = buildDetectionReport(cycle(hijacked), LOCATIONS);
    const text = renderReport(report);

    // Assess
    expect(report.suspicious).toEqual([
      { hostname: HOSTS.pinned, ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" },
    ]);
    expect(text).toContain("Suspicious answers");
    expect(text).toContain("10.20.30.40");
  });

  it("does not count a wildcard domain as checked: it is never resolved", () => {
    // Prepare: the steady state, and a catalogue with a wildcard-domain endpoint as well.
    const wildcard = {
      id: "avira-apc/apc.avira.com",
      group: "avira-apc",
      service: "Avira Protection Cloud",
      purpose: "Cloud lookups",
      scope: "external",
      hostname: "*.apc.avira.com",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      policy: "wildcard-domain",
      ips: [],
      retiredIps: [],
      provenance: { document: "Ports", issue: "1", section: "Avira" },
    } satisfies ReportedCycle["catalogue"]["endpoints"][number];
    const result = cycle(steadyState());
    const withWildcard = {
      ...result,
      catalogue: { ...result.catalogue, endpoints: [...result.catalogue.endpoints, wildcard] },
    };

    // Act
    const report = buildDetectionReport(withWildcard, LOCATIONS);

    // Assess
    expect(report.summary).toMatchObject({ checked: 7, unchanged: 7, drifted: 0, failing: 0 });
    expect(report.catalogue.endpoints).toBe(result.catalogue.endpoints.length + 1);
  });
});
