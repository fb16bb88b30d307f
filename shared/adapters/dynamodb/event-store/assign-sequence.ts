import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { sequenceKey } from "./event-keys";
import type { EventTable } from "./event-table";

/** The sequence item (`SEQ#<subjectKey>` / `SEQ`): the subject's last number and change set. */
const SequenceItem = z.object({ last: z.number().int().positive(), lastChangeSetId: z.string() });

/**
 * The subject's next sequence number for a change set: `last + 1`, unless the subject's last
 * number already went to this change set (a retry), which is then read back.
 */
export async function assignSequence(
  table: EventTable,
  subjectKey: string,
  changeSetId: string,
): Promise<number> {
  const Key = sequenceKey(subjectKey);
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
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
    const { Item } = await table.documents.send(
      new GetCommand({ TableName: table.tableName, Key, ConsistentRead: true }),
    );
    return SequenceItem.parse(Item).last;
  }
}
