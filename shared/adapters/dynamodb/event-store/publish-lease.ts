import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { PublishLease } from "#shared/notify/ports";
import { conditionalWrite } from "../conditional-write";
import { parseChangeSet } from "./change-set-item";
import { getChangeSet } from "./change-sets";
import { changeSetKey } from "./event-keys";
import type { EventTable } from "./event-table";

/**
 * The lease of a publish attempt on a change set (`leaseUntil`, `attempts`): taken unless the
 * change set is published or leased, renewed before each message, released when it fails.
 */

/** Starts a publish attempt: takes the lease unless the change set is published or leased. */
export async function beginPublish(
  table: EventTable,
  changeSetId: string,
  now: Date,
  leaseMs: number,
): Promise<PublishLease> {
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
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
    const record = await getChangeSet(table, changeSetId);
    if (record === null) return { status: "missing" };
    return record.state === "published" ? { status: "published", record } : { status: "busy" };
  }
}

/** Extends attempt `attempt`'s lease; false when it was published or taken over meanwhile. */
export function renewPublish(
  table: EventTable,
  changeSetId: string,
  attempt: number,
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  return conditionalWrite(() =>
    table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
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
    ),
  );
}

/** Releases failed attempt `attempt`'s lease; leaves alone one another attempt took over. */
export async function abortPublish(
  table: EventTable,
  changeSetId: string,
  attempt: number,
): Promise<void> {
  await conditionalWrite(() =>
    table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: changeSetKey(changeSetId),
        UpdateExpression: "REMOVE leaseUntil",
        ConditionExpression:
          "attribute_exists(pk) AND #state <> :published AND attempts = :attempt",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":published": "published", ":attempt": attempt },
      }),
    ),
  );
}
