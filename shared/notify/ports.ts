import type { ChangeSet } from "#shared/record/change-set";
import type { EventCommitStore, EventRecord } from "#shared/record/ports";
import type { OutgoingNotification } from "./notification";

/** Where notifications go (SNS in AWS and in the embedded stack). */
export interface Notifier {
  publish(notification: OutgoingNotification): Promise<{ messageId: string }>;
}

export type PublishState = "pending" | "publishing" | "published";

/** A committed change set with its publishing state. */
export interface ChangeSetRecord extends ChangeSet {
  state: PublishState;
  /** Publish attempts started (a crash mid-attempt leaves `publishing` for the next one). */
  attempts: number;
  /** Parts already accepted by SNS (multi-part change sets), so a retry resends only the rest. */
  publishedParts: number[];
  lastAttemptAt?: string;
  /** Until when the current attempt holds the change set; another publisher waits until then. */
  leaseUntil?: string;
  publishedAt?: string;
}

export type PublishLease =
  | { status: "acquired"; record: ChangeSetRecord }
  | { status: "published"; record: ChangeSetRecord }
  | { status: "busy" }
  | { status: "missing" };

/**
 * The change-event store (DynamoDB: `EVENT#…` and `SEQ#…` items, see TABLE.md): the commit side
 * (record's `EventCommitStore`) and the publishing side. Every write is a single-item conditional
 * write; no transactions.
 */
export interface EventStore extends EventCommitStore {
  /** The change set with its publishing state. */
  getChangeSet(changeSetId: string): Promise<ChangeSetRecord | null>;
  /** Unpublished event records ordered by subject and sequence; one subject's when given. */
  listUnpublished(subjectKey?: string): Promise<EventRecord[]>;
  /** Starts a publish attempt: takes the lease unless the change set is published or leased. */
  beginPublish(changeSetId: string, now: Date, leaseMs: number): Promise<PublishLease>;
  /**
   * Extends the lease of attempt `attempt` (the record's `attempts` when it was taken) before its
   * next message. False when the change set was published or another attempt took it over after
   * the lease expired: this one must send nothing more.
   */
  renewPublish(changeSetId: string, attempt: number, now: Date, leaseMs: number): Promise<boolean>;
  /**
   * Ends failed attempt `attempt` early: releases its lease so the next publisher can retry at
   * once. Leaves alone a lease another attempt took over.
   */
  abortPublish(changeSetId: string, attempt: number): Promise<void>;
  markPartPublished(changeSetId: string, part: number): Promise<void>;
  markChangeSetPublished(changeSetId: string, now: Date): Promise<void>;
  /** Marks the record published and takes it out of the unpublished index (idempotent). */
  markEventPublished(eventId: string, now: Date): Promise<void>;
}

/** Read side, for auditors (`driftwatch events`); the publishing path never needs it. */
export interface EventQueries {
  /**
   * Every committed change set, oldest first (by commit time, then subject sequence); only those
   * committed at or after `since` (an ISO instant) when given. It reads the whole table: for
   * audits, not for a scheduled job.
   */
  listChangeSets(range?: { since?: string }): Promise<ChangeSetRecord[]>;
}
