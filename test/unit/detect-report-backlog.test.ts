import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { RecordDriftResult } from "#shared/compare/record-and-notify";
import type { DetectionCycleResult } from "#shared/detect/detection-cycle";
import { buildDetectionReport, type ReportLocations } from "#shared/detect/report";
import type { HostObservation } from "#shared/domain/observation";
import { changeSetIdOf } from "#shared/notify/change-set";
import {
  catalogue,
  driftInput,
  HOSTS,
  NOW,
  observation,
  steadyState,
} from "#test/helpers/verdict-fixtures";

const LOCATIONS: ReportLocations = {
  mode: "embedded",
  allowlists: ".driftwatch/s3/driftwatch-local/allowlists",
  history: ".driftwatch/dynamodb",
  notifications: "arn:aws:sns:us-east-1:000000000000:driftwatch-events",
};

/** What recordDrift returns for a run that committed every event of its verdicts. */
function committedDrift(runId: string, observations: HostObservation[]): RecordDriftResult {
  const events = evaluateDrift({ ...driftInput(observations), runId });
  return {
    events,
    changeSets: events.map((event, i) => ({
      changeSetId: changeSetIdOf(event.subject.key, [event.eventId]),
      subject: event.subject,
      group: event.group,
      sequence: i + 1,
      runId,
      catalogueId: catalogue.id,
      createdAt: NOW.toISOString(),
      events: [event],
    })),
    committed: events.length,
    published: events.length,
    publishFailures: [],
    allowlistsWritten: [],
  };
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
    const result: DetectionCycleResult = {
      runId: "cli-2",
      startedAt: NOW.toISOString(),
      durationMs: 1000,
      catalogue,
      observations: steadyState(),
      duplicateRun: false,
      feeds: [],
      matchers: input.feeds.matchers,
      drift: committedDrift("cli-2", steadyState()),
      backlog: [
        {
          runId: "cli-1",
          judgedAt: NOW.toISOString(),
          savedHostnames: moved.length,
          feedChanges: [],
          drift: committedDrift("cli-1", moved),
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
