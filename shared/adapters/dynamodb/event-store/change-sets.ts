import { GetCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeSetRecord } from "#shared/notify/ports";
import type { ChangeSet } from "#shared/record/change-set";
import { putIfAbsent } from "../conditional-write";
import { readAllPages } from "../read-all-pages";
import { changeSetItem, parseChangeSet } from "./change-set-item";
import { changeSetKey } from "./event-keys";
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

/** Records that SNS accepted part `part` of a multi-part change set. */
export async function markPartPublished(
  table: EventTable,
  changeSetId: string,
  part: number,
): Promise<void> {
  await table.documents.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: changeSetKey(changeSetId),
      UpdateExpression: "ADD publishedParts :part",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":part": new Set([part]) },
    }),
  );
}

/** Marks the change set published (every part accepted) and ends its lease. */
export async function markChangeSetPublished(
  table: EventTable,
  changeSetId: string,
  now: Date,
): Promise<void> {
  await table.documents.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: changeSetKey(changeSetId),
      UpdateExpression: "SET #state = :published, publishedAt = :now REMOVE leaseUntil",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":published": "published", ":now": now.toISOString() },
    }),
  );
}
