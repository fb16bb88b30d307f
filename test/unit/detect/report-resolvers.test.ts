import { describe, expect, it } from "vitest";
import { renderReport } from "#cli/render-report";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { ReportedCycle } from "#shared/detect/report";
import { buildDetectionReport } from "#shared/detect/report";
import type { HostObservation } from "#shared/domain/observation";
import { committedDrift, LOCATIONS } from "#test/helpers/report-fixtures";
import { catalogue, driftInput, NOW, RUN_ID, steadyState } from "#test/helpers/verdict-fixtures";

const DEAD = "198.51.100.53:53";

function cycle(observations: HostObservation[]): ReportedCycle {
  const input = driftInput(observations);
  return {
    runId: RUN_ID,
    startedAt: NOW.toISOString(),
    durationMs: 1234,
    catalogue,
    observations,
    duplicateRun: false,
    feeds: [],
    matchers: input.feeds.matchers,
    drift: committedDrift(RUN_ID, evaluateDrift(input)),
    backlog: [],
  };
}

/** Every host also asked of a second resolver that never answers. */
function withDeadResolver(observations: HostObservation[]): HostObservation[] {
  return observations.map((o) => ({
    ...o,
    answers: [
      ...o.answers,
      {
        resolver: DEAD,
        outcome: "timeout",
        cnameChain: [],
        a: [],
        aaaa: [],
        families: { a: "timeout", aaaa: "timeout" },
        detail: "A ETIMEOUT after 2 tries from 2000 ms",
      },
    ],
  }));
}

describe("the detection report: resolver health", () => {
  it("shows a resolver that failed for every name even though another one answered them all", () => {
    // Prepare
    const observations = withDeadResolver(steadyState());
    const [live] = observations[0]?.answers ?? [];

    // Act
    const report = buildDetectionReport(cycle(observations), LOCATIONS);
    const text = renderReport(report);

    // Assess
    expect(report.summary.failing).toBe(0);
    expect(report.resolvers).toEqual([
      {
        resolver: live?.resolver,
        answered: observations.length,
        failed: 0,
        suspicious: 0,
        failures: {},
      },
      {
        resolver: DEAD,
        answered: 0,
        failed: observations.length,
        suspicious: 0,
        failures: { timeout: observations.length },
      },
    ]);
    expect(text).toContain("Resolvers (per vantage point");
    expect(text).toMatch(
      new RegExp(`${DEAD.replaceAll(".", "\\.")}\\s+0\\s+${observations.length}\\s+0\\s+timeout`),
    );
  });

  it("leaves the resolvers out of the text when every one answered for every name", () => {
    // Act
    const report = buildDetectionReport(cycle(steadyState()), LOCATIONS);

    // Assess
    expect(report.resolvers.map((r) => r.failed)).toEqual([0]);
    expect(renderReport(report)).not.toContain("Resolvers (");
  });
});
