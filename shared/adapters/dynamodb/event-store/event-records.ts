import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { EventRecord } from "#shared/record/ports";
import { conditionalWrite, putIfAbsent } from "../conditional-write";
import { readAllPages } from "../read-all-pages";
import { eventKey, UNPUBLISHED } from "./event-keys";
import { eventRecordItem, parseEventRecord } from "./event-record-item";
import type { EventTable } from "./event-table";

/** BatchGetItem takes at most this many keys. */
const BATCH_SIZE = 100;

/** The committed records among these event ids (consistent batch reads, retried with backoff). */
export async function getEventRecords(
  table: EventTable,
  eventIds: readonly string[],
): Promise<Map<string, EventRecord>> {
  const found = new Map<string, EventRecord>();
  const unique = [...new Set(eventIds)];
  for (let i = 0; i < unique.length; i += BATCH_SIZE) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_SIZE).map(eventKey);
    for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
      const response: BatchGetCommandOutput = await table.documents.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of response.Responses?.[table.tableName] ?? []) {
        const record = parseEventRecord(item);
        found.set(record.eventId, record);
      }
      keys = response.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return found;
}

/** Writes an unpublished event record unless one exists; whether it wrote. */
export function putEventRecord(table: EventTable, record: EventRecord): Promise<boolean> {
  const expiresAt = table.expiresAt(new Date(record.committedAt));
  return putIfAbsent(table, eventRecordItem(record, expiresAt));
}

/** Unpublished event records in subject and sequence order (the sparse `gsi1`). */
export async function listUnpublished(
  table: EventTable,
  subjectKey?: string,
): Promise<EventRecord[]> {
  const items = await readAllPages((startKey) =>
    table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: "gsi1",
        KeyConditionExpression:
          subjectKey === undefined
            ? "gsi1pk = :pending"
            : "gsi1pk = :pending AND begins_with(gsi1sk, :subject)",
        ExpressionAttributeValues: {
          ":pending": UNPUBLISHED,
          ...(subjectKey === undefined ? {} : { ":subject": `${subjectKey}#` }),
        },
        ExclusiveStartKey: startKey,
      }),
    ),
  );
  return items.map(parseEventRecord);
}

/** Marks the record published and takes it out of the pending index (idempotent). */
export async function markEventPublished(
  table: EventTable,
  eventId: string,
  now: Date,
): Promise<void> {
  // Already marked (a concurrent or repeated publisher): nothing left to do.
  await conditionalWrite(() =>
    table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: eventKey(eventId),
        UpdateExpression: "SET published = :true, publishedAt = :now REMOVE gsi1pk, gsi1sk",
        ConditionExpression: "attribute_exists(pk) AND published = :false",
        ExpressionAttributeValues: { ":true": true, ":false": false, ":now": now.toISOString() },
      }),
    ),
  );
}
