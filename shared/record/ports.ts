import type { DriftEventType, Severity } from "#shared/compare/drift-event";
import type { ChangeSet } from "./change-set";

/**
 * One committed change event: the marker that a verdict has been recorded (so a condition that
 * persists over runs is notified once) and whether its change set was published.
 */
export interface EventRecord {
  eventId: string;
  type: DriftEventType;
  severity: Severity;
  subjectKey: string;
  group: string | null;
  changeSetId: string;
  sequence: number;
  runId: string;
  committedAt: string;
  published: boolean;
  publishedAt?: string;
}

/**
 * The commit side of the change-event store (DynamoDB: `EVENT#…` and `SEQ#…` items, see
 * TABLE.md): what `commitDriftEvents` writes before anything is published. Every write is a
 * single-item conditional write; no transactions. The publishing side is notify's `EventStore`.
 */
export interface EventCommitStore {
  /** The committed records among these event ids. */
  getEventRecords(eventIds: readonly string[]): Promise<Map<string, EventRecord>>;
  /**
   * The subject's next sequence number for a change set. Idempotent for the subject's latest
   * change set: asking again for the same change set returns the same number.
   */
  assignSequence(subjectKey: string, changeSetId: string): Promise<number>;
  /** Writes the change set unless it exists. Returns whether it wrote. */
  putChangeSet(changeSet: ChangeSet, now: Date): Promise<boolean>;
  getChangeSet(changeSetId: string): Promise<ChangeSet | null>;
  /** Writes an unpublished event record unless one exists. Returns whether it wrote. */
  putEventRecord(record: EventRecord): Promise<boolean>;
}
