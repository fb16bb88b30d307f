import { gunzipSync, gzipSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { DRIFT_EVENT_TYPES, type DriftEvent, SEVERITIES } from "#shared/compare/drift-event";
import type { ChangeSet } from "#shared/record/change-set";
import { EventRecordError } from "#shared/notify/errors";
import type { ChangeSetRecord, EventQueries, EventStore, PublishLease } from "#shared/notify/ports";
import type { EventRecord } from "#shared/record/ports";

/**
 * The DynamoDB adapter of the `EventStore` port. Item kinds (TABLE.md, "Change events"):
 * - `EVENT#<eventId>` / `EVENT`: a committed change event; `gsi1pk = "UNPUBLISHED"` (sparse)
 *   until its change set is published, `gsi1sk = <subjectKey>#<sequence>#<eventId>` orders the
 *   pending ones per subject and sequence.
 * - `EVENT#<changeSetId>` / `CHANGESET`: the change set (its events, sequence and publishing
 *   state), written before its event records.
 * - `SEQ#<subjectKey>` / `SEQ`: the subject's last sequence number and the change set it went to.
 */
export interface DynamoEventStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Days after which DynamoDB TTL deletes change events and change sets; kept when omitted. */
  retentionDays?: number;
}

const UNPUBLISHED = "UNPUBLISHED";
/** Change sets larger than this are stored gzip-compressed (items are limited to 400 KB). */
const INLINE_EVENTS_MAX_BYTES = 100_000;

const EventRecordItem = z.object({
  eventId: z.string(),
  type: z.enum(DRIFT_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  subjectKey: z.string(),
  group: z.string().nullable(),
  changeSetId: z.string(),
  sequence: z.number().int().positive(),
  runId: z.string(),
  committedAt: z.string(),
  published: z.boolean(),
  publishedAt: z.string().optional(),
});

const SubjectItem = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("endpoint"), key: z.string(), endpointId: z.string() }),
  z.object({ kind: z.literal("pool"), key: z.string(), poolId: z.string(), group: z.string() }),
  z.object({
    kind: z.literal("feed"),
    key: z.string(),
    feed: z.enum(["cloudfront", "aws-ip-ranges"]),
    group: z.string().nullable(),
  }),
]);

const StoredEvent = z.looseObject({
  eventId: z.string(),
  type: z.enum(DRIFT_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  subject: SubjectItem,
});

const ChangeSetItem = z.object({
  changeSetId: z.string(),
  subject: SubjectItem,
  group: z.string().nullable(),
  sequence: z.number().int().positive(),
  runId: z.string(),
  catalogueId: z.string(),
  createdAt: z.string(),
  eventsJson: z.string().optional(),
  eventsGzip: z.instanceof(Uint8Array).optional(),
  state: z.enum(["pending", "publishing", "published"]),
  attempts: z.number().int().nonnegative(),
  publishedParts: z.set(z.number()).optional(),
  lastAttemptAt: z.string().optional(),
  leaseUntil: z.string().optional(),
  publishedAt: z.string().optional(),
});

const SequenceItem = z.object({ last: z.number().int().positive(), lastChangeSetId: z.string() });

export function createDynamoEventStore(
  options: DynamoEventStoreOptions,
): EventStore & EventQueries {
  const { documents, tableName } = options;
  const expiresAt = (from: Date) =>
    options.retentionDays === undefined
      ? undefined
      : Math.floor(from.getTime() / 1000) + options.retentionDays * 86_400;

  const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: "EVENT" });
  const changeSetKey = (changeSetId: string) => ({ pk: `EVENT#${changeSetId}`, sk: "CHANGESET" });

  function parseEventRecord(item: Record<string, unknown>): EventRecord {
    const parsed = EventRecordItem.safeParse(item);
    if (!parsed.success) {
      throw new EventRecordError(String(item.pk), "not a change-event item", {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  function parseChangeSet(item: Record<string, unknown>): ChangeSetRecord {
    const parsed = ChangeSetItem.safeParse(item);
    if (!parsed.success) {
      throw new EventRecordError(String(item.pk), "not a change-set item", { cause: parsed.error });
    }
    const { eventsJson, eventsGzip, publishedParts, ...rest } = parsed.data;
    const text =
      eventsJson ??
      (eventsGzip === undefined ? undefined : gunzipSync(eventsGzip).toString("utf8"));
    if (text === undefined) throw new EventRecordError(String(item.pk), "change set has no events");
    const events = z.array(StoredEvent).safeParse(JSON.parse(text));
    if (!events.success) {
      throw new EventRecordError(String(item.pk), "change set events are malformed", {
        cause: events.error,
      });
    }
    return {
      ...rest,
      // The stored events were DriftEvents when written; the envelope is checked above.
      events: events.data as unknown as DriftEvent[],
      publishedParts: [...(publishedParts ?? [])].sort((a, b) => a - b),
    };
  }

  async function getChangeSet(changeSetId: string): Promise<ChangeSetRecord | null> {
    const { Item } = await documents.send(
      new GetCommand({
        TableName: tableName,
        Key: changeSetKey(changeSetId),
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? null : parseChangeSet(Item);
  }

  return {
    async getEventRecords(eventIds) {
      const found = new Map<string, EventRecord>();
      const unique = [...new Set(eventIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map(eventKey);
        for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
          if (attempt > 0)
            await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
          const response: BatchGetCommandOutput = await documents.send(
            new BatchGetCommand({
              RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of response.Responses?.[tableName] ?? []) {
            const record = parseEventRecord(item);
            found.set(record.eventId, record);
          }
          keys = response.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return found;
    },

    async assignSequence(subjectKey, changeSetId) {
      const Key = { pk: `SEQ#${subjectKey}`, sk: "SEQ" };
      try {
        const { Attributes } = await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression:
              "SET #last = if_not_exists(#last, :zero) + :one, lastChangeSetId = :cs, kind = :kind",
            ConditionExpression: "attribute_not_exists(lastChangeSetId) OR lastChangeSetId <> :cs",
            ExpressionAttributeNames: { "#last": "last" },
            ExpressionAttributeValues: {
              ":zero": 0,
              ":one": 1,
              ":cs": changeSetId,
              ":kind": "sequence",
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return SequenceItem.parse(Attributes).last;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Already assigned to this change set (a retry): the same number.
        const { Item } = await documents.send(
          new GetCommand({ TableName: tableName, Key, ConsistentRead: true }),
        );
        return SequenceItem.parse(Item).last;
      }
    },

    async putChangeSet(changeSet: ChangeSet, now: Date) {
      const json = JSON.stringify(changeSet.events);
      const events =
        Buffer.byteLength(json, "utf8") <= INLINE_EVENTS_MAX_BYTES
          ? { eventsJson: json }
          : { eventsGzip: gzipSync(json) };
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...changeSetKey(changeSet.changeSetId),
              kind: "change-set",
              changeSetId: changeSet.changeSetId,
              subjectKey: changeSet.subject.key,
              subject: changeSet.subject,
              group: changeSet.group,
              sequence: changeSet.sequence,
              runId: changeSet.runId,
              catalogueId: changeSet.catalogueId,
              createdAt: changeSet.createdAt,
              eventIds: changeSet.events.map((e) => e.eventId),
              ...events,
              state: "pending",
              attempts: 0,
              expiresAt: expiresAt(now),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    getChangeSet,

    async putEventRecord(record) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...eventKey(record.eventId),
              kind: "change-event",
              ...record,
              published: false,
              gsi1pk: UNPUBLISHED,
              gsi1sk: pendingSortKey(record),
              expiresAt: expiresAt(new Date(record.committedAt)),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async listUnpublished(subjectKey) {
      const records: EventRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: "gsi1",
            KeyConditionExpression:
              subjectKey === undefined
                ? "gsi1pk = :pending"
                : "gsi1pk = :pending AND begins_with(gsi1sk, :subject)",
            ExpressionAttributeValues: {
              ":pending": UNPUBLISHED,
              ...(subjectKey === undefined ? {} : { ":subject": `${subjectKey}#` }),
            },
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) records.push(parseEventRecord(item));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey !== undefined);
      return records;
    },

    async beginPublish(changeSetId, now, leaseMs): Promise<PublishLease> {
      try {
        const { Attributes } = await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: changeSetKey(changeSetId),
            UpdateExpression:
              "SET #state = :publishing, attempts = attempts + :one, lastAttemptAt = :now, leaseUntil = :until",
            ConditionExpression:
              "attribute_exists(pk) AND #state <> :published AND " +
              "(attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: {
              ":publishing": "publishing",
              ":published": "published",
              ":one": 1,
              ":now": now.toISOString(),
              ":until": new Date(now.getTime() + leaseMs).toISOString(),
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return { status: "acquired", record: parseChangeSet(Attributes ?? {}) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const record = await getChangeSet(changeSetId);
        if (record === null) return { status: "missing" };
        return record.state === "published" ? { status: "published", record } : { status: "busy" };
      }
    },

    async renewPublish(changeSetId, attempt, now, leaseMs) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: changeSetKey(changeSetId),
            UpdateExpression: "SET leaseUntil = :until",
            ConditionExpression:
              "attribute_exists(pk) AND #state <> :published AND attempts = :attempt",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: {
              ":published": "published",
              ":attempt": attempt,
              ":until": new Date(now.getTime() + leaseMs).toISOString(),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async abortPublish(changeSetId, attempt) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: changeSetKey(changeSetId),
            UpdateExpression: "REMOVE leaseUntil",
            ConditionExpression:
              "attribute_exists(pk) AND #state <> :published AND attempts = :attempt",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: { ":published": "published", ":attempt": attempt },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async markPartPublished(changeSetId, part) {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: changeSetKey(changeSetId),
          UpdateExpression: "ADD publishedParts :part",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":part": new Set([part]) },
        }),
      );
    },

    async markChangeSetPublished(changeSetId, now) {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: changeSetKey(changeSetId),
          UpdateExpression: "SET #state = :published, publishedAt = :now REMOVE leaseUntil",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":published": "published", ":now": now.toISOString() },
        }),
      );
    },

    async listChangeSets(range = {}) {
      // No index lists change sets (the sparse gsi1 holds only unpublished events), and the
      // write path stays as it is: an audit scans, filtered on the item kind.
      const since = range.since === undefined ? undefined : new Date(range.since).toISOString();
      const records: ChangeSetRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression:
              since === undefined ? "kind = :kind" : "kind = :kind AND createdAt >= :since",
            ExpressionAttributeValues: {
              ":kind": "change-set",
              ...(since === undefined ? {} : { ":since": since }),
            },
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) records.push(parseChangeSet(item));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey !== undefined);
      return records.sort(
        (a, b) =>
          (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) ||
          (a.subject.key < b.subject.key ? -1 : a.subject.key > b.subject.key ? 1 : 0) ||
          a.sequence - b.sequence,
      );
    },

    async markEventPublished(eventId, now) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: eventKey(eventId),
            UpdateExpression: "SET published = :true, publishedAt = :now REMOVE gsi1pk, gsi1sk",
            ConditionExpression: "attribute_exists(pk) AND published = :false",
            ExpressionAttributeValues: {
              ":true": true,
              ":false": false,
              ":now": now.toISOString(),
            },
          }),
        );
      } catch (error) {
        // Already marked (a concurrent or repeated publisher): nothing left to do.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

/** `<subjectKey>#<sequence, zero-padded>#<eventId>`: pending events in subject and sequence order. */
function pendingSortKey(record: EventRecord): string {
  return `${record.subjectKey}#${String(record.sequence).padStart(10, "0")}#${record.eventId}`;
}
