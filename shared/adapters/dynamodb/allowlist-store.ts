import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AllowlistState, AllowlistStateStore } from "#shared/allowlists/ports";
import {
  allowlistStateItem,
  allowlistStateKey,
  parseAllowlistState,
} from "./allowlist-store/allowlist-state-item";
import { conditionalWrite } from "./conditional-write";

/** BatchGetItem takes at most this many keys; unprocessed keys are retried this many times. */
const BATCH_SIZE = 100;
const BATCH_ATTEMPTS = 8;

export class AllowlistStateReadError extends Error {
  override name = "AllowlistStateReadError";
}

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

    /** Consistent BatchGetItem, 100 groups a request, unprocessed keys retried with backoff. */
    async getMany(groups) {
      const found = new Map<string, AllowlistState>();
      const unique = [...new Set(groups)];
      for (let i = 0; i < unique.length; i += BATCH_SIZE) {
        let keys: Record<string, unknown>[] = unique
          .slice(i, i + BATCH_SIZE)
          .map(allowlistStateKey);
        for (let attempt = 0; keys.length > 0; attempt++) {
          if (attempt === BATCH_ATTEMPTS)
            throw new AllowlistStateReadError(
              `allowlist states of ${keys.length} groups still unprocessed after ${attempt} batch reads`,
            );
          if (attempt > 0)
            await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
          const response: BatchGetCommandOutput = await documents.send(
            new BatchGetCommand({
              RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of response.Responses?.[tableName] ?? []) {
            const state = parseAllowlistState(item);
            found.set(state.group, state);
          }
          keys = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return found;
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
