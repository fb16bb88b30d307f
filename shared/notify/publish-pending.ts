import type { Logger } from "@aws-lambda-powertools/logger";
import type { EventRecord } from "#shared/record/ports";
import { buildNotifications } from "./build-notifications";
import { NotificationTooLargeError, PublishError } from "./errors";
import type { ChangeSetRecord, EventStore, Notifier } from "./ports";

export interface PublishDeps {
  events: EventStore;
  notifier: Notifier;
  logger?: Pick<Logger, "info" | "warn" | "error">;
}

export interface PublishOptions {
  now: Date;
  /** Only this subject's pending change sets (the stream path); every subject when omitted. */
  subjectKey?: string;
  /** How long an attempt holds a change set against concurrent publishers (default 60 s). */
  leaseMs?: number;
  /**
   * The wall clock, read when a lease is taken (default: the system clock). Not `now`: a cycle
   * judging an older run publishes with that run's time, and a lease dated then would already
   * have expired, letting a concurrent publisher send the same change set.
   */
  clock?: () => Date;
  /** SNS message size limit (default 256 KiB; smaller in tests). */
  maxBytes?: number;
}

export interface PublishFailure {
  changeSetId: string;
  subjectKey: string;
  error: Error;
}

export interface PublishResult {
  /** SNS messages sent (parts count one each). */
  published: number;
  /** Change sets published and marked by this call. */
  changeSets: number;
  /** Change sets that failed (they stay pending; later ones of the same subject wait). */
  failed: PublishFailure[];
  /**
   * Change sets not published yet because some of their event records are not written yet (a
   * commit in progress, or one that died: its retry, or the unjudged-run backlog, finishes it).
   * Not a failure: the last record's stream INSERT, or the next cycle, publishes them.
   */
  waiting: string[];
  /** Age of the oldest event still unpublished after this call, in seconds (0 when none). */
  oldestPendingAgeSeconds: number;
}

const DEFAULT_LEASE_MS = 60_000;

/**
 * Publishes committed, unpublished change sets, in sequence order per subject, and marks them.
 *
 * 1. List unpublished event records (index gsi1), grouped by subject and change set.
 * 2. Per change set, read the event record of each of its events: the change set owns the events
 *    whose record names it. An event whose record names another change set is left out (two
 *    committers raced for the subject; the other change set sends it). An event without a record
 *    means the commit is not finished: the change set waits, and so do the subject's later ones.
 * 3. Take its publishing lease (a conditional write): a change set another publisher holds is
 *    left to it, one already published is only marked.
 * 4. Build its messages from the change set item restricted to the events it owns (never from a
 *    partial set of records), send the parts not yet sent, then mark the change set and its event
 *    records published. A change set that owns no event is marked published without sending
 *    anything: its sequence number is skipped (consumers tolerate gaps).
 * 5. On an SNS error: release the lease, keep it pending, and hold back the subject's later
 *    change sets so a subscriber never sees sequence n+1 before n. The next run retries.
 *
 * Guarantee: a change set is published at least once and, unless the process dies between SNS
 * accepting a message and the change set being marked (milliseconds), exactly once. In that
 * window the retry sends a message with the same `eventId` (and, on a FIFO topic, the same
 * deduplication id): consumers deduplicate on `eventId`.
 */
export async function publishPendingEvents(
  deps: PublishDeps,
  options: PublishOptions,
): Promise<PublishResult> {
  const { events: store, notifier, logger } = deps;
  const { now } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const clock = options.clock ?? (() => new Date());
  const records = await store.listUnpublished(options.subjectKey);
  const result: PublishResult = {
    published: 0,
    changeSets: 0,
    failed: [],
    waiting: [],
    oldestPendingAgeSeconds: 0,
  };
  const remaining = new Set(records);

  for (const [subjectKey, changeSets] of groupPending(records)) {
    for (const [changeSetId, pending] of changeSets) {
      // Ownership is read before the lease, so a change set still being committed does not hold
      // the lease against the publisher that the commit's last record triggers.
      const stored = await store.getChangeSet(changeSetId);
      let ownership =
        stored === null || stored.state === "published" ? null : await ownedEvents(store, stored);
      if (ownership !== null && ownership.unrecorded.length > 0) {
        logger?.info("change set waits for its commit to finish", {
          changeSetId,
          subjectKey,
          unrecordedEvents: ownership.unrecorded.length,
        });
        result.waiting.push(changeSetId);
        break;
      }
      const lease = await store.beginPublish(changeSetId, clock(), leaseMs);
      if (lease.status === "busy") {
        logger?.info("change set held by another publisher", { changeSetId, subjectKey });
        break;
      }
      if (lease.status === "missing") {
        const error = new PublishError(changeSetId, 0, {
          cause: new Error("change set item missing"),
        });
        logger?.error("change events without their change set", { changeSetId, subjectKey });
        result.failed.push({ changeSetId, subjectKey, error });
        break;
      }
      if (lease.status === "acquired") {
        const record = lease.record;
        ownership ??= await ownedEvents(store, record);
        if (ownership.unrecorded.length > 0) {
          await store.abortPublish(changeSetId, record.attempts);
          result.waiting.push(changeSetId);
          break;
        }
        const owned = ownership.owned;
        const own = { ...record, events: record.events.filter((e) => owned.has(e.eventId)) };
        let sent = 0;
        let lost = false;
        try {
          // The same owned events always give the same bytes and message ids (a retry resends
          // exactly what SNS may already have accepted).
          const messages =
            own.events.length === 0 ? [] : buildNotifications(own, { maxBytes: options.maxBytes });
          for (const message of messages) {
            if (record.publishedParts.includes(message.body.part)) continue;
            // Several parts may outlast one lease: extend it, and stop if another took over.
            if (!(await store.renewPublish(changeSetId, record.attempts, clock(), leaseMs))) {
              lost = true;
              break;
            }
            try {
              await notifier.publish(message);
            } catch (cause) {
              throw new PublishError(changeSetId, message.body.part, { cause });
            }
            sent++;
            if (messages.length > 1) await store.markPartPublished(changeSetId, message.body.part);
          }
        } catch (error) {
          await store.abortPublish(changeSetId, record.attempts);
          const failure = error instanceof Error ? error : new Error(String(error));
          logger?.error("publishing a change set failed; it stays pending", {
            changeSetId,
            subjectKey,
            sequence: record.sequence,
            attempts: record.attempts,
            tooLarge: error instanceof NotificationTooLargeError,
            error: failure,
          });
          result.published += sent;
          result.failed.push({ changeSetId, subjectKey, error: failure });
          break;
        }
        if (lost) {
          logger?.warn("publishing lease taken over by another publisher; it sends the rest", {
            changeSetId,
            subjectKey,
            messages: sent,
          });
          result.published += sent;
          break;
        }
        await store.markChangeSetPublished(changeSetId, now);
        result.published += sent;
        result.changeSets += 1;
        logger?.info("change set published", {
          changeSetId,
          subjectKey,
          sequence: record.sequence,
          messages: sent,
          events: own.events.length,
          leftToOtherChangeSets: record.events.length - own.events.length,
          attempt: record.attempts,
        });
      }
      for (const event of pending) {
        await store.markEventPublished(event.eventId, now);
        remaining.delete(event);
      }
    }
  }

  const oldest = [...remaining].reduce<string | null>(
    (min, r) => (min === null || r.committedAt < min ? r.committedAt : min),
    null,
  );
  result.oldestPendingAgeSeconds =
    oldest === null ? 0 : Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000));
  return result;
}

/**
 * The events of a change set that it owns (their record names it), and those without a record yet.
 * Records are written once and never rewritten, so once every event has one the answer is final.
 */
async function ownedEvents(
  store: EventStore,
  changeSet: ChangeSetRecord,
): Promise<{ owned: Set<string>; unrecorded: string[] }> {
  const ids = changeSet.events.map((e) => e.eventId);
  const records = await store.getEventRecords(ids);
  const owned = new Set<string>();
  const unrecorded: string[] = [];
  for (const eventId of ids) {
    const record = records.get(eventId);
    if (record === undefined) unrecorded.push(eventId);
    else if (record.changeSetId === changeSet.changeSetId) owned.add(eventId);
  }
  return { owned, unrecorded };
}

/** Subject -> change set -> records, change sets in sequence order (records come sorted). */
function groupPending(records: readonly EventRecord[]): Map<string, Map<string, EventRecord[]>> {
  const sorted = [...records].sort(
    (a, b) =>
      (a.subjectKey < b.subjectKey ? -1 : a.subjectKey > b.subjectKey ? 1 : 0) ||
      a.sequence - b.sequence ||
      (a.changeSetId < b.changeSetId ? -1 : a.changeSetId > b.changeSetId ? 1 : 0),
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
