import type { Severity } from "#shared/compare/drift-event";
import type { ChangeSet } from "#shared/record/change-set";
import type { EventCommitStore, EventRecord } from "#shared/record/ports";
import type { OutgoingNotification } from "./notification";

/** Where notifications go (SNS in AWS and in the embedded stack). */
export interface Notifier {
  /** The message id SNS gave, and the topic it went to when the notifier knows it. */
  publish(notification: OutgoingNotification): Promise<{ messageId: string; topicArn?: string }>;
}

/** One message SNS accepted for a change set: what `driftwatch notifications` lists. */
export interface NotificationDelivery {
  /** 1-based part of the change set (1 for a change set sent in one message). */
  part: number;
  /** The topic it was published to; empty when the notifier did not say. */
  topicArn: string;
  /** The id SNS answered with. */
  messageId: string;
  /** The e-mail subject line it carried. */
  subject: string;
  /** The highest severity of the events in that message. */
  severity: Severity;
  /** When SNS accepted it (the publisher's clock). */
  sentAt: string;
  /** The events it carried. */
  eventIds: string[];
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
  /** The messages SNS accepted, in the order they were recorded (absent before this was kept). */
  deliveries?: NotificationDelivery[];
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
  /** Records that SNS accepted a part of a multi-part change set, and the message it became. */
  markPartPublished(
    changeSetId: string,
    part: number,
    delivery?: NotificationDelivery,
  ): Promise<void>;
  /**
   * Marks the change set published, with the messages of this attempt not recorded by
   * `markPartPublished` (the one message of a single-part change set).
   */
  markChangeSetPublished(
    changeSetId: string,
    now: Date,
    deliveries?: readonly NotificationDelivery[],
  ): Promise<void>;
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
  /**
   * One page of the published change sets, in the order they were published (oldest first),
   * only those published at or after `since` when given. `cursor` is the opaque text a previous
   * page returned; the answer's `cursor` is null on the last page. Reads one page, never the table.
   */
  publishedChangeSets(page: {
    since?: string;
    cursor?: string;
    limit: number;
  }): Promise<{ changeSets: ChangeSetRecord[]; cursor: string | null }>;
}
