import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { AllowlistState, AllowlistStateStore } from "#shared/allowlists/ports";

/**
 * `ALLOWLIST#<group>` / `STATE`: the content hash of the group's allowlist files and when the
 * content last changed (their header's generation time). See TABLE.md, "Allowlists".
 */
const StateItem = z.object({
  group: z.string(),
  contentSha256: z.string(),
  generatedAt: z.string(),
  addresses: z.number().int().nonnegative(),
  keys: z.object({ txt: z.string(), json: z.string() }),
  updatedAt: z.string(),
});

export function createDynamoAllowlistStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): AllowlistStateStore {
  const { documents, tableName } = deps;
  const key = (group: string) => ({ pk: `ALLOWLIST#${group}`, sk: "STATE" });
  return {
    async get(group) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: key(group), ConsistentRead: true }),
      );
      return Item === undefined ? null : StateItem.parse(Item);
    },

    async put(state: AllowlistState, previousSha256) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key(state.group), kind: "allowlist", ...state },
            ...(previousSha256 === null
              ? { ConditionExpression: "attribute_not_exists(pk)" }
              : {
                  ConditionExpression: "contentSha256 = :previous",
                  ExpressionAttributeValues: { ":previous": previousSha256 },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
