import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

/**
 * Runs a conditional write: true when it was written, false when its condition failed (the
 * item exists, or is not in the state the write expects); any other failure is thrown.
 */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Puts `item` unless an item with its key exists; whether it wrote. */
export function putIfAbsent(
  table: { documents: DynamoDBDocumentClient; tableName: string },
  item: Record<string, unknown>,
): Promise<boolean> {
  return conditionalWrite(() =>
    table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    ),
  );
}
