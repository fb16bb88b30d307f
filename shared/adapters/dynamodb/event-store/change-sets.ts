import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeSetRecord, NotificationDelivery } from "#shared/notify/ports";
import type { ChangeSet } from "#shared/record/change-set";
import { putIfAbsent } from "../conditional-write";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { readAllPages } from "../read-all-pages";
import { changeSetItem, parseChangeSet } from "./change-set-item";
import { changeSetKey, PUBLISHED_CHANGE_SET, publishedSortKey } from "./event-keys";
import type { EventTable } from "./event-table";

/** Writes the change set (pending) unless it exists; whether it wrote. */
export function putChangeSet(table: EventTable, changeSet: ChangeSet, now: Date): Promise<boolean> {
  return putIfAbsent(table, changeSetItem(changeSet, table.expiresAt(now)));
}

/** The change set with its publishing state (consistent read), or null. */
export async function getChangeSet(
  table: EventTable,
  changeSetId: string,
): Promise<ChangeSetRecord | null> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: changeSetKey(changeSetId),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? null : parseChangeSet(Item);
}

/**
 * Every change set committed (at or after `since`), oldest first, then by subject and sequence.
 * No index lists change sets (the sparse gsi1 holds only unpublished events), and the write
 * path stays as it is: an audit scans, filtered on the item kind.
 */
export async function listChangeSets(
  table: EventTable,
  range: { since?: string } = {},
): Promise<ChangeSetRecord[]> {
  const since = range.since === undefined ? undefined : new Date(range.since).toISOString();
  const items = await readAllPages((startKey) =>
    table.documents.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression:
          since === undefined ? "kind = :kind" : "kind = :kind AND createdAt >= :since",
        ExpressionAttributeValues: {
          ":kind": "change-set",
          ...(since === undefined ? {} : { ":since": since }),
        },
        ExclusiveStartKey: startKey,
      }),
    ),
  );
  return items
    .map(parseChangeSet)
    .sort(
      (a, b) =>
        (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) ||
        (a.subject.key < b.subject.key ? -1 : a.subject.key > b.subject.key ? 1 : 0) ||
        a.sequence - b.sequence,
    );
}

/**
 * Records that SNS accepted part `part` of a multi-part change set, and appends its message to
 * `deliveries` (a part is marked once: a retry resends only the parts not in `publishedParts`).
 */
export async function markPartPublished(
  table: EventTable,
  changeSetId: string,
  part: number,
  delivery?: NotificationDelivery,
): Promise<void> {
  await table.documents.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: changeSetKey(changeSetId),
      UpdateExpression:
        delivery === undefined
          ? "ADD publishedParts :part"
          : "ADD publishedParts :part SET deliveries = list_append(if_not_exists(deliveries, :none), :delivery)",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: {
        ":part": new Set([part]),
        ...(delivery === undefined ? {} : { ":none": [], ":delivery": [delivery] }),
      },
    }),
  );
}

/**
 * Marks the change set published (every part accepted), ends its lease, appends the messages
 * not recorded part by part to `deliveries`, and lists it in the published index (gsi1).
 */
export async function markChangeSetPublished(
  table: EventTable,
  changeSetId: string,
  now: Date,
  deliveries: readonly NotificationDelivery[] = [],
): Promise<void> {
  const publishedAt = now.toISOString();
  await table.documents.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: changeSetKey(changeSetId),
      UpdateExpression: [
        "SET #state = :published, publishedAt = :now, gsi1pk = :index, gsi1sk = :order",
        deliveries.length > 0
          ? ", deliveries = list_append(if_not_exists(deliveries, :none), :deliveries)"
          : "",
        " REMOVE leaseUntil",
      ].join(""),
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: {
        ":published": "published",
        ":now": publishedAt,
        ":index": PUBLISHED_CHANGE_SET,
        ":order": publishedSortKey(publishedAt, changeSetId),
        ...(deliveries.length > 0 ? { ":none": [], ":deliveries": [...deliveries] } : {}),
      },
    }),
  );
}

/**
 * One page of the published change sets: `Query gsi1` `gsi1pk = PUBLISHED_CHANGE_SET`
 * (`gsi1sk >= <since>`), ascending, `Limit = limit`, from the cursor's key.
 */
export async function publishedChangeSets(
  table: EventTable,
  page: { since?: string; cursor?: string; limit: number },
): Promise<{ changeSets: ChangeSetRecord[]; cursor: string | null }> {
  const since = page.since === undefined ? undefined : new Date(page.since).toISOString();
  const response = await table.documents.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: "gsi1",
      KeyConditionExpression:
        since === undefined ? "gsi1pk = :index" : "gsi1pk = :index AND gsi1sk >= :since",
      ExpressionAttributeValues: {
        ":index": PUBLISHED_CHANGE_SET,
        ...(since === undefined ? {} : { ":since": since }),
      },
      ScanIndexForward: true,
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, ["pk", "sk", "gsi1pk", "gsi1sk"]),
    }),
  );
  return {
    changeSets: (response.Items ?? []).map(parseChangeSet),
    cursor: encodeCursor(response.LastEvaluatedKey),
  };
}
