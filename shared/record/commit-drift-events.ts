import type { DriftEvent } from "#shared/compare/drift-event";
import { type ChangeSet, changeSetIdOf, compareEvents, groupBySubject } from "./change-set";
import type { EventCommitStore, EventRecord } from "./ports";

export interface CommitInput {
  events: readonly DriftEvent[];
  runId: string;
  catalogueId: string;
  now: Date;
}

export interface CommitResult {
  /** Change sets written or completed by this call (empty when nothing changed). */
  changeSets: ChangeSet[];
  /** Change-event records written by this call. */
  committed: number;
}

/**
 * Commits a run's verdicts before anything is published.
 *
 * 1. Look up the records of every event id: an event already recorded by an earlier run is a
 *    condition that persists (same id), so it is not notified again.
 * 2. Events recorded by this same run (a retry after a crash) rejoin the change set they were
 *    committed with; events not recorded at all form a new change set per subject.
 * 3. A new change set gets the subject's next sequence number (idempotent per change set, so a
 *    retry does not burn numbers), is written whole (conditional put), and only then are its
 *    event records written (conditional puts, `published=false`, in the unpublished index).
 *
 * A crash at any point leaves either nothing pending (the next run re-evaluates), or a complete
 * change set whose records a retry of the run finishes; the publisher waits for a change set's
 * records before sending it, and then sends from its own item, never from a partial set of
 * records. Two concurrent commits of one subject may both put an event in a change set; the one
 * whose record of it is written owns it, and only the owner sends it (see notify/publish-pending.ts).
 */
export async function commitDriftEvents(
  deps: { events: EventCommitStore },
  input: CommitInput,
): Promise<CommitResult> {
  const store = deps.events;
  if (input.events.length === 0) return { changeSets: [], committed: 0 };
  const existing = await store.getEventRecords(input.events.map((e) => e.eventId));
  const changeSets: ChangeSet[] = [];
  let committed = 0;

  for (const [subjectKey, events] of groupBySubject(input.events)) {
    const fresh = events.filter((e) => !existing.has(e.eventId));
    const resumedIds = new Set(
      events
        .map((e) => existing.get(e.eventId))
        .filter((r): r is EventRecord => r !== undefined && r.runId === input.runId)
        .map((r) => r.changeSetId),
    );
    let remaining = fresh;

    // 2. A retry: finish the change sets this run already started.
    for (const changeSetId of [...resumedIds].sort()) {
      const changeSet = await store.getChangeSet(changeSetId);
      if (changeSet === null) continue;
      const members = new Set(changeSet.events.map((e) => e.eventId));
      const belonging = remaining.filter((e) => members.has(e.eventId));
      if (belonging.length === 0) continue;
      remaining = remaining.filter((e) => !members.has(e.eventId));
      committed += await putRecords(store, changeSet, belonging, input);
      changeSets.push(changeSet);
    }

    // 3. New changes: a new change set.
    if (remaining.length === 0) continue;
    const sorted = [...remaining].sort(compareEvents);
    const changeSetId = changeSetIdOf(
      subjectKey,
      sorted.map((e) => e.eventId),
    );
    const stored = await store.getChangeSet(changeSetId);
    const first = sorted[0] as DriftEvent;
    const changeSet: ChangeSet = stored ?? {
      changeSetId,
      subject: first.subject,
      group: first.group,
      sequence: await store.assignSequence(subjectKey, changeSetId),
      runId: input.runId,
      catalogueId: input.catalogueId,
      createdAt: input.now.toISOString(),
      events: sorted,
    };
    if (stored === null) await store.putChangeSet(changeSet, input.now);
    committed += await putRecords(store, changeSet, sorted, input);
    changeSets.push(changeSet);
  }
  return { changeSets, committed };
}

async function putRecords(
  store: EventCommitStore,
  changeSet: ChangeSet,
  events: readonly DriftEvent[],
  input: CommitInput,
): Promise<number> {
  let written = 0;
  for (const event of events) {
    const created = await store.putEventRecord({
      eventId: event.eventId,
      type: event.type,
      severity: event.severity,
      subjectKey: changeSet.subject.key,
      group: changeSet.group,
      changeSetId: changeSet.changeSetId,
      sequence: changeSet.sequence,
      runId: changeSet.runId,
      committedAt: input.now.toISOString(),
      published: false,
    });
    if (created) written++;
  }
  return written;
}
