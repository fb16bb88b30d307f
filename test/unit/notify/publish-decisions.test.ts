import { describe, expect, it } from "vitest";
import type { DriftEvent } from "#shared/compare/drift-event";
import { PublishError } from "#shared/notify/errors";
import type { ChangeSetRecord } from "#shared/notify/ports";
import {
  type ChangeSetOutcome,
  eventOwnership,
  holdsBackSubject,
  leaseOutcome,
  oldestPendingAgeSeconds,
  ownedChangeSet,
  partsToSend,
  pendingChangeSets,
  readsOwnershipFirst,
} from "#shared/notify/publish-decisions";
import { changeSetIdOf } from "#shared/record/change-set";
import type { EventRecord } from "#shared/record/ports";
import { NOW, RUN_ID } from "#test/helpers/verdict-fixtures";

const SUBJECT = {
  kind: "endpoint",
  key: "endpoint:product-updates/updates.example.com",
  endpointId: "updates",
} satisfies DriftEvent["subject"];

/** An event of the one subject; only its id and place matter to the publisher. */
function event(eventId: string, type: DriftEvent["type"], added: string[]): DriftEvent {
  return {
    eventId,
    type,
    severity: "high",
    runId: RUN_ID,
    detectedAt: NOW.toISOString(),
    subject: SUBJECT,
    group: "product-updates",
    endpoint: null,
    endpoints: [],
    added,
    removed: [],
    evidence: {},
    reason: `${type} for the test`,
    action: "none",
    warnings: [],
  } satisfies DriftEvent;
}

/** Three events of one host, in notification order. */
function hostEvents(): DriftEvent[] {
  return [
    event("e1", "ip-added", ["3.10.94.200"]),
    event("e2", "suspicious-answer", []),
    event("e3", "ip-removed", []),
  ];
}

function changeSetRecord(events: DriftEvent[], overrides: Partial<ChangeSetRecord> = {}) {
  const [first] = events;
  if (first === undefined) throw new Error("no events");
  return {
    changeSetId: changeSetIdOf(
      first.subject.key,
      events.map((e) => e.eventId),
    ),
    subject: first.subject,
    group: first.group,
    sequence: 1,
    runId: RUN_ID,
    catalogueId: "clearswift-seg-5.3",
    createdAt: NOW.toISOString(),
    events,
    state: "pending",
    attempts: 1,
    publishedParts: [],
    ...overrides,
  } satisfies ChangeSetRecord;
}

function eventRecord(
  eventId: string,
  fields: Pick<EventRecord, "subjectKey" | "changeSetId" | "sequence"> & Partial<EventRecord>,
): EventRecord {
  return {
    eventId,
    type: "ip-added",
    severity: "high",
    group: "product-updates",
    runId: RUN_ID,
    committedAt: NOW.toISOString(),
    published: false,
    ...fields,
  } satisfies EventRecord;
}

describe("pendingChangeSets", () => {
  it("orders subjects by key and each subject's change sets by sequence, records kept together", () => {
    // Prepare
    const records = [
      eventRecord("e4", { subjectKey: "b", changeSetId: "cs-b1", sequence: 1 }),
      eventRecord("e3", { subjectKey: "a", changeSetId: "cs-a2", sequence: 2 }),
      eventRecord("e1", { subjectKey: "a", changeSetId: "cs-a1", sequence: 1 }),
      eventRecord("e2", { subjectKey: "a", changeSetId: "cs-a1", sequence: 1 }),
    ];

    // Act
    const pending = pendingChangeSets(records);

    // Assess
    expect([...pending.keys()]).toEqual(["a", "b"]);
    expect([...(pending.get("a")?.keys() ?? [])]).toEqual(["cs-a1", "cs-a2"]);
    expect(
      pending
        .get("a")
        ?.get("cs-a1")
        ?.map((r) => r.eventId),
    ).toEqual(["e1", "e2"]);
    expect(
      pending
        .get("b")
        ?.get("cs-b1")
        ?.map((r) => r.eventId),
    ).toEqual(["e4"]);
  });
});

describe("eventOwnership", () => {
  it("owns the events whose record names the change set, and lists those without a record", () => {
    // Prepare
    const events = hostEvents();
    const changeSet = changeSetRecord(events);
    const [mine = "", other = "", ...rest] = events.map((e) => e.eventId);
    const fields = { subjectKey: changeSet.subject.key, sequence: 1 };
    const records = new Map([
      [mine, eventRecord(mine, { ...fields, changeSetId: changeSet.changeSetId })],
      [other, eventRecord(other, { ...fields, changeSetId: "another-change-set" })],
    ]);

    // Act
    const ownership = eventOwnership(changeSet, records);

    // Assess
    expect([...ownership.owned]).toEqual([mine]);
    expect(ownership.unrecorded).toEqual(rest);
  });

  it("restricts the change set to what it owns, keeping its order", () => {
    // Prepare
    const events = hostEvents();
    const changeSet = changeSetRecord(events);
    const kept = new Set(events.slice(1).map((e) => e.eventId));

    // Act
    const own = ownedChangeSet(changeSet, kept);

    // Assess
    expect(own.events).toEqual(events.slice(1));
    expect(own.changeSetId).toBe(changeSet.changeSetId);
    expect(changeSet.events).toEqual(events);
  });
});

describe("readsOwnershipFirst", () => {
  it("reads ownership before the lease only for a stored change set not yet published", () => {
    // Prepare
    const events = hostEvents();

    // Act & Assess
    expect(readsOwnershipFirst(changeSetRecord(events))).toBe(true);
    expect(readsOwnershipFirst(changeSetRecord(events, { state: "publishing" }))).toBe(true);
    expect(readsOwnershipFirst(changeSetRecord(events, { state: "published" }))).toBe(false);
    expect(readsOwnershipFirst(null)).toBe(false);
  });
});

describe("partsToSend", () => {
  it("leaves out the parts SNS already accepted", () => {
    // Prepare
    const messages = [1, 2, 3].map((part) => ({ body: { part } }));

    // Act & Assess
    expect(partsToSend(messages, [2]).map((m) => m.body.part)).toEqual([1, 3]);
    expect(partsToSend(messages, [])).toEqual(messages);
    expect(partsToSend(messages, [1, 2, 3])).toEqual([]);
  });
});

describe("leaseOutcome", () => {
  it("leaves a held change set, only marks a published one, and fails a missing one", () => {
    // Prepare
    const record = changeSetRecord(hostEvents(), { state: "published" });

    // Act
    const busy = leaseOutcome({ status: "busy" }, record.changeSetId);
    const published = leaseOutcome({ status: "published", record }, record.changeSetId);
    const missing = leaseOutcome({ status: "missing" }, record.changeSetId);

    // Assess
    expect(busy).toEqual({ status: "busy" });
    expect(published).toEqual({ status: "already-published" });
    expect(missing.status).toBe("failed");
    const error = missing.status === "failed" ? missing.error : null;
    expect(error).toBeInstanceOf(PublishError);
    expect(error?.message).toBe(
      `change set ${record.changeSetId}, part 0: publish failed: change set item missing`,
    );
  });
});

describe("holdsBackSubject", () => {
  it("lets the subject's later change sets go only after this one is published", () => {
    // Prepare
    const outcomes: ChangeSetOutcome[] = [
      { status: "waiting" },
      { status: "busy" },
      { status: "failed", sent: 1, error: new Error("SNS throttled") },
      { status: "lost", sent: 1 },
      { status: "published", sent: 0 },
      { status: "already-published" },
    ];

    // Act
    const held = outcomes.filter(holdsBackSubject).map((o) => o.status);

    // Assess
    expect(held).toEqual(["waiting", "busy", "failed", "lost"]);
  });
});

describe("oldestPendingAgeSeconds", () => {
  it("is the age of the oldest commit in whole seconds, 0 when nothing is pending", () => {
    // Prepare
    const fields = { subjectKey: "a", changeSetId: "cs", sequence: 1 };
    const records = [
      eventRecord("e1", { ...fields, committedAt: "2026-08-21T11:59:00.400Z" }),
      eventRecord("e2", { ...fields, committedAt: "2026-08-21T11:58:00.000Z" }),
    ];

    // Act & Assess
    expect(oldestPendingAgeSeconds(records, NOW)).toBe(120);
    expect(oldestPendingAgeSeconds([], NOW)).toBe(0);
    expect(oldestPendingAgeSeconds(records, new Date("2026-08-21T11:00:00Z"))).toBe(0);
  });
});
