import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EventQueries, EventStore } from "#shared/notify/ports";
import type { ChangeSetPages } from "#shared/query/pages";
import { assignSequence } from "./event-store/assign-sequence";
import {
  getChangeSet,
  listChangeSets,
  markChangeSetPublished,
  markPartPublished,
  publishedChangeSets,
  putChangeSet,
} from "./event-store/change-sets";
import { committedChangeSets } from "./event-store/committed-change-sets";
import {
  getEventRecords,
  listUnpublished,
  markEventPublished,
  putEventRecord,
} from "./event-store/event-records";
import type { EventTable } from "./event-store/event-table";
import { abortPublish, beginPublish, renewPublish } from "./event-store/publish-lease";

/**
 * The DynamoDB adapter of the `EventStore` port. Item kinds (TABLE.md, "Change events"):
 * - `EVENT#<eventId>` / `EVENT`: a committed change event; `gsi1pk = "UNPUBLISHED"` (sparse)
 *   until its change set is published, `gsi1sk = <subjectKey>#<sequence>#<eventId>` orders the
 *   pending ones per subject and sequence.
 * - `EVENT#<changeSetId>` / `CHANGESET`: the change set (its events, sequence and publishing
 *   state), written before its event records.
 * - `SEQ#<subjectKey>` / `SEQ`: the subject's last sequence number and the change set it went to.
 *
 * The item mapping is in `event-store/{event-record,change-set}-item.ts` (pure), the calls by
 * item kind beside them (`event-records`, `change-sets`, `publish-lease`, `assign-sequence`).
 */
export interface DynamoEventStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Days after which DynamoDB TTL deletes change events and change sets; kept when omitted. */
  retentionDays?: number;
}

export function createDynamoEventStore(
  options: DynamoEventStoreOptions,
): EventStore & EventQueries & ChangeSetPages {
  const { retentionDays } = options;
  const table: EventTable = {
    documents: options.documents,
    tableName: options.tableName,
    expiresAt: (from) =>
      retentionDays === undefined
        ? undefined
        : Math.floor(from.getTime() / 1000) + retentionDays * 86_400,
  };
  return {
    getEventRecords: (eventIds) => getEventRecords(table, eventIds),
    assignSequence: (subjectKey, changeSetId) => assignSequence(table, subjectKey, changeSetId),
    putChangeSet: (changeSet, now) => putChangeSet(table, changeSet, now),
    getChangeSet: (changeSetId) => getChangeSet(table, changeSetId),
    putEventRecord: (record) => putEventRecord(table, record),
    listUnpublished: (subjectKey) => listUnpublished(table, subjectKey),
    beginPublish: (changeSetId, now, leaseMs) => beginPublish(table, changeSetId, now, leaseMs),
    renewPublish: (changeSetId, attempt, now, leaseMs) =>
      renewPublish(table, changeSetId, attempt, now, leaseMs),
    abortPublish: (changeSetId, attempt) => abortPublish(table, changeSetId, attempt),
    markPartPublished: (changeSetId, part, delivery) =>
      markPartPublished(table, changeSetId, part, delivery),
    markChangeSetPublished: (changeSetId, now, deliveries) =>
      markChangeSetPublished(table, changeSetId, now, deliveries),
    listChangeSets: (range) => listChangeSets(table, range),
    publishedChangeSets: (page) => publishedChangeSets(table, page),
    committedChangeSets: (page) => committedChangeSets(table, page),
    markEventPublished: (eventId, now) => markEventPublished(table, eventId, now),
  };
}
