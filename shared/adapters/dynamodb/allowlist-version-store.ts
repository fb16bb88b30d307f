import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AllowlistVersionStore } from "#shared/record/allowlist-versions/ports";
import {
  cataloguePk,
  changeItem,
  changeKey,
  changeSk,
  parseChange,
  parsePending,
  parseVersion,
  pendingItem,
  pendingKey,
  versionItem,
  versionKey,
} from "./allowlist-version-store/allowlist-version-items";
import { conditionalWrite, putIfAbsent } from "./conditional-write";

/**
 * A catalogue's allowlist version, its changes and the staged run of each group (TABLE.md,
 * "Allowlist versions"). Single-item conditional writes; reads are consistent.
 */
export function createDynamoAllowlistVersionStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): AllowlistVersionStore {
  const { documents, tableName } = deps;
  const get = async (Key: Record<string, string>) =>
    (await documents.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true })))
      .Item;
  return {
    async getVersion(catalogueId) {
      const item = await get(versionKey(catalogueId));
      return item === undefined ? null : parseVersion(item);
    },

    async getChange(catalogueId, version) {
      const item = await get(changeKey(catalogueId, version));
      return item === undefined ? null : parseChange(item);
    },

    async changesBetween(catalogueId, { since, through, limit }) {
      if (through <= since || limit < 1) return [];
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: {
            ":pk": cataloguePk(catalogueId),
            ":from": changeSk(since + 1),
            ":to": changeSk(through),
          },
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (Items ?? []).map(parseChange);
    },

    putChange: (change) => putIfAbsent({ documents, tableName }, changeItem(change)),

    advanceVersion(next, previous) {
      return conditionalWrite(() =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: versionItem(next),
            ...(previous === null
              ? { ConditionExpression: "attribute_not_exists(pk)" }
              : {
                  ConditionExpression: "version = :version AND lastChangeId = :changeId",
                  ExpressionAttributeValues: {
                    ":version": previous.version,
                    ":changeId": previous.lastChangeId,
                  },
                }),
          }),
        ),
      );
    },

    /** Kept when it already stages the same content: the first run to write it named it. */
    async putPending(pending) {
      await conditionalWrite(() =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: pendingItem(pending),
            ConditionExpression: "attribute_not_exists(pk) OR toSha256 <> :to",
            ExpressionAttributeValues: { ":to": pending.toSha256 },
          }),
        ),
      );
    },

    async getPending(catalogueId, group) {
      const item = await get(pendingKey(catalogueId, group));
      return item === undefined ? null : parsePending(item);
    },
  };
}
