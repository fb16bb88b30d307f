import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { JudgeDriftResult } from "#shared/detect/judge-drift";
import type { ReportedCycle } from "#shared/detect/report";
import { buildDetectionReport } from "#shared/detect/report";
import type { HostObservation } from "#shared/domain/observation";
import { committedDrift, LOCATIONS } from "#test/helpers/report-fixtures";
import {
  catalogue,
  driftInput,
  HOSTS,
  NOW,
  observation,
  steadyState,
} from "#test/helpers/verdict-fixtures";

/** The drift result of run `runId` that committed every event of its verdicts. */
function runDrift(runId: string, observations: HostObservation[]): JudgeDriftResult {
  return committedDrift(runId, evaluateDrift({ ...driftInput(observations), runId }));
}

describe("the detection report of a cycle that judged an interrupted run first", () => {
  it("reports the recovered events as new, with their firewall action and exit 2", () => {
    // Prepare: the interrupted run saw the pinned host move; this run sees it steady.
    const moved = steadyState().map((o) =>
      o.hostname === HOSTS.pinned
        ? observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })
        : o,
    );
    const input = driftInput(steadyState());
    const result: ReportedCycle = {
      runId: "cli-2",
      startedAt: NOW.toISOString(),
      durationMs: 1000,
      catalogue,
      observations: steadyState(),
      duplicateRun: false,
      feeds: [],
      matchers: input.feeds.matchers,
      drift: runDrift("cli-2", steadyState()),
      backlog: [
        {
          runId: "cli-1",
          judgedAt: NOW.toISOString(),
          savedHostnames: moved.length,
          feedChanges: [],
          drift: runDrift("cli-1", moved),
        },
      ],
    };

    // Act
    const report = buildDetectionReport(result, LOCATIONS);

    // Assess
    expect(report.summary).toMatchObject({ newEvents: 1, recovered: 1, published: 1 });
    expect(report.events.map((e) => [e.type, e.runId, e.new])).toEqual([
      ["ip-added", "cli-1", true],
    ]);
    expect(report.actions.map((a) => a.add)).toEqual([["3.10.94.200"]]);
    expect(report.exit.code).toBe(2);
  });
});
