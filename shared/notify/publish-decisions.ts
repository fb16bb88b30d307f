import { compareText } from "#shared/domain/canonical";
import type { EventRecord } from "#shared/record/ports";
import { PublishError } from "./errors";
import type { ChangeSetRecord, PublishLease } from "./ports";

/**
 * The pure decisions of `publishPendingEvents` (publish-pending.ts holds the I/O): which change
 * sets are pending and in what order, which events a change set owns, what its lease allows,
 * which parts still go out, and whether a subject's later change sets must wait.
 */

/** Subject -> change set -> records: subjects by key, change sets in sequence order. */
export function pendingChangeSets(
  records: readonly EventRecord[],
): Map<string, Map<string, EventRecord[]>> {
  const sorted = [...records].sort(
    (a, b) =>
      compareText(a.subjectKey, b.subjectKey) ||
      a.sequence - b.sequence ||
      compareText(a.changeSetId, b.changeSetId),
  );
  const subjects = new Map<string, Map<string, EventRecord[]>>();
  for (const record of sorted) {
    let changeSets = subjects.get(record.subjectKey);
    if (changeSets === undefined) {
      changeSets = new Map();
      subjects.set(record.subjectKey, changeSets);
    }
    const list = changeSets.get(record.changeSetId);
    if (list === undefined) changeSets.set(record.changeSetId, [record]);
    else list.push(record);
  }
  return subjects;
}

export interface EventOwnership {
  /** Events whose record names this change set: it sends them. */
  owned: Set<string>;
  /** Events without a record yet: the commit is not finished. */
  unrecorded: string[];
}

/**
 * The events of a change set that it owns (their record names it), and those without a record
 * yet, from the records of its events. An event whose record names another change set is
 * neither: that change set sends it. Records are written once and never rewritten, so once
 * every event has one the answer is final.
 */
export function eventOwnership(
  changeSet: Pick<ChangeSetRecord, "changeSetId" | "events">,
  records: ReadonlyMap<string, EventRecord>,
): EventOwnership {
  const owned = new Set<string>();
  const unrecorded: string[] = [];
  for (const { eventId } of changeSet.events) {
    const record = records.get(eventId);
    if (record === undefined) unrecorded.push(eventId);
    else if (record.changeSetId === changeSet.changeSetId) owned.add(eventId);
  }
  return { owned, unrecorded };
}

/**
 * Whether ownership is read before the lease: for a stored change set not yet published, so
 * that one still being committed does not hold the lease against the publisher that the
 * commit's last record triggers.
 */
export function readsOwnershipFirst(stored: ChangeSetRecord | null): stored is ChangeSetRecord {
  return stored !== null && stored.state !== "published";
}

/** The change set restricted to the events it owns: what its messages are built from. */
export function ownedChangeSet(
  record: ChangeSetRecord,
  owned: ReadonlySet<string>,
): ChangeSetRecord {
  return { ...record, events: record.events.filter((e) => owned.has(e.eventId)) };
}

/** The messages of a change set SNS has not accepted yet, in part order. */
export function partsToSend<T extends { body: { part: number } }>(
  messages: readonly T[],
  publishedParts: readonly number[],
): T[] {
  return messages.filter((message) => !publishedParts.includes(message.body.part));
}

/** How one change set's publish attempt ended. */
export type ChangeSetOutcome =
  /** Some of its events have no record yet: the commit is not finished. */
  | { status: "waiting" }
  /** Another publisher holds its lease. */
  | { status: "busy" }
  /** The notifier or a store failed (or the change set item is missing); it stays pending. */
  | { status: "failed"; sent: number; error: Error }
  /** Another attempt took the lease over after it expired; that one sends the rest. */
  | { status: "lost"; sent: number }
  /** Sent (what it owns, possibly nothing) and marked published by this attempt. */
  | { status: "published"; sent: number }
  /** Published before: only its event records are left to mark. */
  | { status: "already-published" };

/** The outcome of an attempt whose lease was not acquired: it sends nothing. */
export function leaseOutcome(
  lease: Exclude<PublishLease, { status: "acquired" }>,
  changeSetId: string,
): ChangeSetOutcome {
  switch (lease.status) {
    case "published":
      return { status: "already-published" };
    case "busy":
      return { status: "busy" };
    case "missing":
      return {
        status: "failed",
        sent: 0,
        error: new PublishError(changeSetId, 0, { cause: new Error("change set item missing") }),
      };
  }
}

/**
 * Whether the subject's later change sets wait: unless this one is published, a subscriber
 * would otherwise see sequence n+1 before n.
 */
export function holdsBackSubject(outcome: ChangeSetOutcome): boolean {
  return outcome.status !== "published" && outcome.status !== "already-published";
}

/** Age of the oldest of these records, in whole seconds at `now` (0 when none). */
export function oldestPendingAgeSeconds(records: Iterable<EventRecord>, now: Date): number {
  let oldest: string | null = null;
  for (const record of records) {
    if (oldest === null || record.committedAt < oldest) oldest = record.committedAt;
  }
  return oldest === null ? 0 : Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000));
}
