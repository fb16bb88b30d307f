import { describe, expect, it } from "vitest";
import {
  changeSetItem,
  parseChangeSet,
} from "#shared/adapters/dynamodb/event-store/change-set-item";
import { pendingSortKey } from "#shared/adapters/dynamodb/event-store/event-keys";
import {
  eventRecordItem,
  parseEventRecord,
} from "#shared/adapters/dynamodb/event-store/event-record-item";
import type { DriftEvent } from "#shared/compare/drift-event";
import { EventRecordError } from "#shared/notify/errors";
import type { ChangeSet } from "#shared/record/change-set";
import type { EventRecord } from "#shared/record/ports";

const EXPIRES_AT = 1_800_000_000;
const SUBJECT = { kind: "endpoint", key: "endpoint:api", endpointId: "api" } as const;

function driftEvent(eventId: string, reason = "a new IP answered for api.example.com"): DriftEvent {
  return {
    eventId,
    type: "ip-added",
    severity: "high",
    runId: "run-1",
    detectedAt: "2026-08-21T12:00:00.000Z",
    subject: SUBJECT,
    group: "payments",
    endpoint: null,
    endpoints: [],
    added: ["192.0.2.10"],
    removed: [],
    evidence: { observedAt: "2026-08-21T12:00:00.000Z" },
    reason,
    action: "allow 192.0.2.10 on 443/tcp",
    warnings: [],
  } satisfies DriftEvent;
}

function changeSet(events: DriftEvent[]): ChangeSet {
  return {
    changeSetId: "cs-1",
    subject: SUBJECT,
    group: "payments",
    sequence: 7,
    runId: "run-1",
    catalogueId: "acme",
    createdAt: "2026-08-21T12:00:01.000Z",
    events,
  };
}

const RECORD = {
  eventId: "e1",
  type: "ip-added",
  severity: "high",
  subjectKey: "endpoint:api",
  group: "payments",
  changeSetId: "cs-1",
  sequence: 7,
  runId: "run-1",
  committedAt: "2026-08-21T12:00:01.000Z",
  published: false,
} satisfies EventRecord;

describe("the change-set item", () => {
  it("is pending with its events inline, and reads back with its publishing state", () => {
    // Prepare
    const committed = changeSet([driftEvent("e1"), driftEvent("e2")]);

    // Act
    const item = changeSetItem(committed, EXPIRES_AT);

    // Assess
    expect(item).toMatchObject({
      pk: "EVENT#cs-1",
      sk: "CHANGESET",
      kind: "change-set",
      subjectKey: "endpoint:api",
      eventIds: ["e1", "e2"],
      state: "pending",
      attempts: 0,
      expiresAt: EXPIRES_AT,
    });
    expect(typeof item.eventsJson).toBe("string");
    expect(parseChangeSet(item)).toEqual({
      ...committed,
      state: "pending",
      attempts: 0,
      publishedParts: [],
    });
  });

  it("gzips events over 100 kB and lists the published parts in order", () => {
    // Prepare
    const long = "x".repeat(60_000);
    const committed = changeSet([driftEvent("e1", long), driftEvent("e2", long)]);

    // Act
    const item = changeSetItem(committed, undefined);

    // Assess
    expect(item.eventsJson).toBeUndefined();
    expect(item.eventsGzip).toBeInstanceOf(Uint8Array);
    const read = parseChangeSet({ ...item, publishedParts: new Set([3, 1]) });
    expect(read.events).toEqual(committed.events);
    expect(read.publishedParts).toEqual([1, 3]);
  });

  it("names the item when it holds no events or malformed ones", () => {
    const item = changeSetItem(changeSet([driftEvent("e1")]), EXPIRES_AT);

    expect(() => parseChangeSet({ ...item, eventsJson: undefined })).toThrow(
      new EventRecordError("EVENT#cs-1", "change set has no events"),
    );
    expect(() => parseChangeSet({ ...item, eventsJson: '[{"eventId":"e1"}]' })).toThrow(
      new EventRecordError("EVENT#cs-1", "change set events are malformed"),
    );
  });
});

describe("the change-event item", () => {
  it("is unpublished, in the pending index in subject and sequence order", () => {
    // Act
    const item = eventRecordItem(RECORD, EXPIRES_AT);

    // Assess
    expect(item).toMatchObject({
      pk: "EVENT#e1",
      sk: "EVENT",
      kind: "change-event",
      published: false,
      gsi1pk: "UNPUBLISHED",
      gsi1sk: "endpoint:api#0000000007#e1",
      expiresAt: EXPIRES_AT,
    });
    expect(parseEventRecord(item)).toEqual(RECORD);
    expect(() => parseEventRecord({ ...item, sequence: 0 })).toThrow(EventRecordError);
  });

  it("sorts sequence numbers numerically within a subject", () => {
    const key = (sequence: number) => pendingSortKey({ ...RECORD, sequence });

    expect([key(10), key(9), key(100)].sort()).toEqual([key(9), key(10), key(100)]);
  });
});
