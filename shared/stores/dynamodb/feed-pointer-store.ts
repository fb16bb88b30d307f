import { gunzipSync, gzipSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { FeedId } from "#shared/domain/feed";
import type { FeedDampingState } from "#shared/observe/feeds/damping";
import { FeedPointerConflictError } from "#shared/observe/feeds/errors";
import type { FeedPointerStore } from "#shared/observe/feeds/ports";

/**
 * The current pointer of each feed: `pk = FEED#<feed>`, `sk = CURRENT` (see TABLE.md, "Feeds").
 * Writes are conditional on the version read, so two concurrent ingests cannot both win.
 */

const FeedIdSchema = z.enum(["aws-ip-ranges", "cloudfront"]);

const FeedPrefixSchema = z.object({
  prefix: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  service: z.string(),
  region: z.string(),
  networkBorderGroup: z.string(),
});

const DampingSchema = z.object({
  pending: z.array(z.object({ prefix: FeedPrefixSchema, since: z.string(), runs: z.number() })),
});

const MetaSchema = z.object({
  feed: FeedIdSchema,
  sha256: z.string(),
  syncToken: z.string().optional(),
  createDate: z.string().optional(),
  fetchedAt: z.string(),
  source: z.string(),
  archiveKey: z.string(),
  prefixCount: z.object({ v4: z.number(), v6: z.number() }),
});

const PointerItem = z.object({
  pk: z.string(),
  sk: z.literal("CURRENT"),
  kind: z.literal("feed-pointer"),
  feed: FeedIdSchema,
  version: z.number().int().positive(),
  url: z.string(),
  meta: MetaSchema,
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  damping: DampingSchema.optional(),
  /** The damping state, gzipped JSON, when it is too large to keep inline. */
  dampingGz: z.instanceof(Uint8Array).optional(),
  confirmedAt: z.string(),
  updatedAt: z.string(),
});

/** Inline damping state up to this many bytes of JSON; beyond, gzipped (items max 400 KB). */
const INLINE_DAMPING_LIMIT = 100_000;

export function feedPointerKey(feed: FeedId): { pk: string; sk: "CURRENT" } {
  return { pk: `FEED#${feed}`, sk: "CURRENT" };
}

export function createDynamoFeedPointerStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): FeedPointerStore {
  const { documents, tableName } = deps;
  return {
    async get(feed) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: feedPointerKey(feed), ConsistentRead: true }),
      );
      if (Item === undefined) return null;
      const item = PointerItem.parse(Item);
      const damping: FeedDampingState =
        item.dampingGz !== undefined
          ? DampingSchema.parse(JSON.parse(gunzipSync(item.dampingGz).toString("utf8")))
          : (item.damping ?? { pending: [] });
      return {
        feed: item.feed,
        version: item.version,
        url: item.url,
        meta: item.meta,
        ...(item.etag !== undefined ? { etag: item.etag } : {}),
        ...(item.lastModified !== undefined ? { lastModified: item.lastModified } : {}),
        damping,
        confirmedAt: item.confirmedAt,
        updatedAt: item.updatedAt,
      };
    },

    async put(pointer, expectedVersion) {
      const dampingJson = JSON.stringify(pointer.damping);
      const inline = dampingJson.length <= INLINE_DAMPING_LIMIT;
      const item: z.input<typeof PointerItem> = {
        ...feedPointerKey(pointer.feed),
        kind: "feed-pointer",
        feed: pointer.feed,
        version: pointer.version,
        url: pointer.url,
        meta: pointer.meta,
        etag: pointer.etag,
        lastModified: pointer.lastModified,
        ...(inline ? { damping: pointer.damping } : { dampingGz: gzipSync(dampingJson) }),
        confirmedAt: pointer.confirmedAt,
        updatedAt: pointer.updatedAt,
      };
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
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
    },
  };
}
