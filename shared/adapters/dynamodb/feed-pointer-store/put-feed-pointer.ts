import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { FeedPointerConflictError } from "#shared/observe/feeds/errors";
import type { FeedPointer } from "#shared/observe/feeds/ports";
import { feedPointerItem } from "./feed-pointer-item";
import type { FeedPointerTable } from "./feed-pointer-table";

/**
 * Writes the pointer whole, under the version read (`null`: none yet); a concurrent ingest
 * that won is a `FeedPointerConflictError`.
 */
export async function putFeedPointer(
  table: FeedPointerTable,
  pointer: FeedPointer,
  expectedVersion: number | null,
): Promise<void> {
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: feedPointerItem(pointer),
        ...(expectedVersion === null
          ? { ConditionExpression: "attribute_not_exists(pk)" }
          : {
              ConditionExpression: "#version = :expected",
              ExpressionAttributeNames: { "#version": "version" },
              ExpressionAttributeValues: { ":expected": expectedVersion },
            }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new FeedPointerConflictError(pointer.feed, { cause: error });
    }
    throw error;
  }
}
