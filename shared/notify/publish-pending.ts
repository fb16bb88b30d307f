import type { Logger } from "@aws-lambda-powertools/logger";
import { buildNotifications } from "./build-notifications";
import { NotificationTooLargeError, PublishError } from "./errors";
import type { OutgoingNotification } from "./notification";
import type { ChangeSetRecord, EventStore, NotificationDelivery, Notifier } from "./ports";
import {
  type ChangeSetOutcome,
  type EventOwnership,
  eventOwnership,
  holdsBackSubject,
  leaseOutcome,
  oldestPendingAgeSeconds,
  ownedChangeSet,
  partsToSend,
  pendingChangeSets,
  readsOwnershipFirst,
} from "./publish-decisions";

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
  const call: PublishCall = {
    ...deps,
    now: options.now,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    clock: options.clock ?? (() => new Date()),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  };
  // 1.
  const records = await deps.events.listUnpublished(options.subjectKey);
  const result: PublishResult = {
    published: 0,
    changeSets: 0,
    failed: [],
    waiting: [],
    oldestPendingAgeSeconds: 0,
  };
  const remaining = new Set(records);
  for (const [subjectKey, changeSets] of pendingChangeSets(records)) {
    for (const [changeSetId, pending] of changeSets) {
      const target = { changeSetId, subjectKey };
      const outcome = await publishChangeSet(call, target);
      tally(result, target, outcome);
      if (holdsBackSubject(outcome)) break;
      for (const event of pending) {
        await deps.events.markEventPublished(event.eventId, call.now);
        remaining.delete(event);
      }
    }
  }
  result.oldestPendingAgeSeconds = oldestPendingAgeSeconds(remaining, call.now);
  return result;
}

/** One call's settings and ports, shared by its change sets. */
interface PublishCall extends PublishDeps {
  now: Date;
  leaseMs: number;
  clock: () => Date;
  maxBytes?: number;
}

interface Target {
  changeSetId: string;
  subjectKey: string;
}

/** Steps 2 to 5 for one change set. */
async function publishChangeSet(call: PublishCall, target: Target): Promise<ChangeSetOutcome> {
  const { events: store, logger } = call;
  const { changeSetId, subjectKey } = target;
  // 2. Ownership is read before the lease (see readsOwnershipFirst).
  const stored = await store.getChangeSet(changeSetId);
  let ownership = readsOwnershipFirst(stored) ? await readOwnership(store, stored) : null;
  if (ownership !== null && ownership.unrecorded.length > 0) {
    logger?.info("change set waits for its commit to finish", {
      changeSetId,
      subjectKey,
      unrecordedEvents: ownership.unrecorded.length,
    });
    return { status: "waiting" };
  }
  // 3.
  const lease = await store.beginPublish(changeSetId, call.clock(), call.leaseMs);
  if (lease.status !== "acquired") {
    if (lease.status === "busy") {
      logger?.info("change set held by another publisher", { changeSetId, subjectKey });
    } else if (lease.status === "missing") {
      logger?.error("change events without their change set", { changeSetId, subjectKey });
    }
    return leaseOutcome(lease, changeSetId);
  }
  const record = lease.record;
  ownership ??= await readOwnership(store, record);
  if (ownership.unrecorded.length > 0) {
    await store.abortPublish(changeSetId, record.attempts);
    return { status: "waiting" };
  }
  // 4. and 5.
  return sendChangeSet(call, target, record, ownership.owned);
}

/** Sends the parts not yet sent of what the change set owns, then marks it published. */
async function sendChangeSet(
  call: PublishCall,
  target: Target,
  record: ChangeSetRecord,
  owned: ReadonlySet<string>,
): Promise<ChangeSetOutcome> {
  const { events: store, logger } = call;
  const { changeSetId, subjectKey } = target;
  const own = ownedChangeSet(record, owned);
  const progress = await sendParts(call, record, own);
  if (progress.stopped === "failed") {
    await store.abortPublish(changeSetId, record.attempts);
    const error = progress.error;
    const failure = error instanceof Error ? error : new Error(String(error));
    logger?.error("publishing a change set failed; it stays pending", {
      changeSetId,
      subjectKey,
      sequence: record.sequence,
      attempts: record.attempts,
      tooLarge: error instanceof NotificationTooLargeError,
      error: failure,
    });
    return { status: "failed", sent: progress.sent, error: failure };
  }
  if (progress.stopped === "lost") {
    logger?.warn("publishing lease taken over by another publisher; it sends the rest", {
      changeSetId,
      subjectKey,
      messages: progress.sent,
    });
    return { status: "lost", sent: progress.sent };
  }
  await store.markChangeSetPublished(changeSetId, call.now, progress.unrecorded);
  logger?.info("change set published", {
    changeSetId,
    subjectKey,
    sequence: record.sequence,
    messages: progress.sent,
    events: own.events.length,
    leftToOtherChangeSets: record.events.length - own.events.length,
    attempt: record.attempts,
  });
  return { status: "published", sent: progress.sent };
}

type SendProgress =
  | { stopped: "lost"; sent: number }
  /** `unrecorded`: the messages not recorded part by part (a single-part change set's one). */
  | { stopped: "done"; sent: number; unrecorded: NotificationDelivery[] }
  | { stopped: "failed"; sent: number; error: unknown };

/**
 * Builds the messages of the owned events and sends those SNS has not accepted yet, renewing the
 * lease before each. Any error (too large, SNS, the store) stops it as `failed`.
 */
async function sendParts(
  call: PublishCall,
  record: ChangeSetRecord,
  own: ChangeSetRecord,
): Promise<SendProgress> {
  const { events: store, notifier } = call;
  const { changeSetId } = record;
  let sent = 0;
  const unrecorded: NotificationDelivery[] = [];
  try {
    // The same owned events always give the same bytes and message ids (a retry resends
    // exactly what SNS may already have accepted).
    const messages =
      own.events.length === 0 ? [] : buildNotifications(own, { maxBytes: call.maxBytes });
    for (const message of partsToSend(messages, record.publishedParts)) {
      // Several parts may outlast one lease: extend it, and stop if another took over.
      if (!(await store.renewPublish(changeSetId, record.attempts, call.clock(), call.leaseMs))) {
        return { stopped: "lost", sent };
      }
      let accepted: { messageId: string; topicArn?: string };
      try {
        accepted = await notifier.publish(message);
      } catch (cause) {
        throw new PublishError(changeSetId, message.body.part, { cause });
      }
      sent++;
      const delivery = deliveryOf(message, accepted, call.clock());
      if (messages.length > 1) {
        await store.markPartPublished(changeSetId, message.body.part, delivery);
      } else unrecorded.push(delivery);
    }
  } catch (error) {
    return { stopped: "failed", sent, error };
  }
  return { stopped: "done", sent, unrecorded };
}

/** What is kept of a message SNS accepted (`driftwatch notifications`). */
function deliveryOf(
  message: OutgoingNotification,
  accepted: { messageId: string; topicArn?: string },
  sentAt: Date,
): NotificationDelivery {
  return {
    part: message.body.part,
    topicArn: accepted.topicArn ?? "",
    messageId: accepted.messageId,
    subject: message.emailSubject,
    severity: message.body.severity,
    sentAt: sentAt.toISOString(),
    eventIds: [...new Set(message.body.events.map((event) => event.eventId))],
  };
}

/** The ownership of a change set's events, from their records. */
async function readOwnership(
  store: EventStore,
  changeSet: ChangeSetRecord,
): Promise<EventOwnership> {
  const records = await store.getEventRecords(changeSet.events.map((e) => e.eventId));
  return eventOwnership(changeSet, records);
}

/** Adds one change set's outcome to the call's result. */
function tally(result: PublishResult, target: Target, outcome: ChangeSetOutcome): void {
  switch (outcome.status) {
    case "waiting":
      result.waiting.push(target.changeSetId);
      return;
    case "failed":
      result.published += outcome.sent;
      result.failed.push({ ...target, error: outcome.error });
      return;
    case "lost":
      result.published += outcome.sent;
      return;
    case "published":
      result.published += outcome.sent;
      result.changeSets += 1;
      return;
    default:
      return;
  }
}
