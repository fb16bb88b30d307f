import type { DriftEvent } from "#shared/compare/drift-event";
import type { JudgeDriftResult } from "#shared/detect/judge-drift";
import type { ReportLocations } from "#shared/detect/report";
import { changeSetIdOf } from "#shared/record/change-set";
import { catalogue, NOW } from "#test/helpers/verdict-fixtures";

/** Where an embedded run keeps its outputs, as the report names them. */
export const LOCATIONS: ReportLocations = {
  mode: "embedded",
  allowlists: ".driftwatch/s3/driftwatch-local/allowlists",
  history: ".driftwatch/dynamodb",
  notifications: "arn:aws:sns:us-east-1:000000000000:driftwatch-events",
};

/** What judgeDrift returns for run `runId` when it committed and published every event. */
export function committedDrift(runId: string, events: DriftEvent[]): JudgeDriftResult {
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
