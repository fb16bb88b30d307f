import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AllowlistState, AllowlistStateStore } from "#shared/allowlists/ports";
import {
  allowlistStateItem,
  allowlistStateKey,
  parseAllowlistState,
} from "./allowlist-store/allowlist-state-item";
import { conditionalWrite } from "./conditional-write";

/**
 * `ALLOWLIST#<group>` / `STATE`: the content hash of the group's allowlist files and when the
 * content last changed (their header's generation time). See TABLE.md, "Allowlists". The item
 * mapping is in `allowlist-store/allowlist-state-item.ts` (pure).
 */
export function createDynamoAllowlistStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): AllowlistStateStore {
  const { documents, tableName } = deps;
  return {
    async get(group) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: allowlistStateKey(group),
          ConsistentRead: true,
        }),
      );
      return Item === undefined ? null : parseAllowlistState(Item);
    },

    /** Written when the content changed, under the hash read (`null`: none yet). */
    put(state: AllowlistState, previousSha256) {
      return conditionalWrite(() =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: allowlistStateItem(state),
            ...(previousSha256 === null
              ? { ConditionExpression: "attribute_not_exists(pk)" }
              : {
                  ConditionExpression: "contentSha256 = :previous",
                  ExpressionAttributeValues: { ":previous": previousSha256 },
                }),
          }),
        ),
      );
    },
  };
}
