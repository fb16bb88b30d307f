import { gunzipSync, gzipSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { FeedId } from "#shared/domain/feed";
import type { FeedDampingState } from "#shared/observe/feeds/damping";
import { FeedPointerConflictError } from "#shared/observe/feeds/errors";
import type {
  FeedChangeJudgements,
  FeedPointer,
  FeedPointerStore,
  UnjudgedFeedChange,
} from "#shared/observe/feeds/ports";

/**
 * The current pointer of each feed: `pk = FEED#<feed>`, `sk = CURRENT` (see TABLE.md, "Feeds").
 * Writes are conditional on the version read, so two concurrent ingests cannot both win. The
 * pointer also carries the accepted changes not yet judged (`unjudged`), taken off by
 * `markChangesJudged` with a conditional update that leaves the version alone.
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

const UnjudgedSchema = z.array(
  z.object({
    changeId: z.string(),
    runId: z.string(),
    acceptedAt: z.string(),
    diff: z.object({
      feed: FeedIdSchema,
      from: MetaSchema,
      to: MetaSchema,
      added: z.array(FeedPrefixSchema),
      removed: z.array(FeedPrefixSchema),
    }),
  }),
);

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
  unjudged: UnjudgedSchema.optional(),
  /** The unjudged changes, gzipped JSON, when they are too large to keep inline. */
  unjudgedGz: z.instanceof(Uint8Array).optional(),
});

/**
 * Inline damping state (and, apart, unjudged changes) up to this many bytes of JSON; beyond,
 * gzipped, so that a large withdrawal cannot push the item past DynamoDB's 400 KB.
 */
const INLINE_DAMPING_LIMIT = 100_000;
/** Attempts of `markChangesJudged` against ingests moving the pointer at the same time. */
const MARK_ATTEMPTS = 5;

/** `unjudged` inline, or `unjudgedGz`, for a put or an update. */
function unjudgedAttribute(
  unjudged: readonly UnjudgedFeedChange[],
): { unjudged: UnjudgedFeedChange[] } | { unjudgedGz: ReturnType<typeof gzipSync> } {
  const json = JSON.stringify(unjudged);
  return json.length <= INLINE_DAMPING_LIMIT
    ? { unjudged: [...unjudged] }
    : { unjudgedGz: gzipSync(json) };
}

export function feedPointerKey(feed: FeedId): { pk: string; sk: "CURRENT" } {
  return { pk: `FEED#${feed}`, sk: "CURRENT" };
}

export function createDynamoFeedPointerStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): FeedPointerStore & FeedChangeJudgements {
  const { documents, tableName } = deps;
  const get = async (feed: FeedId): Promise<FeedPointer | null> => {
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableName, Key: feedPointerKey(feed), ConsistentRead: true }),
    );
    if (Item === undefined) return null;
    const item = PointerItem.parse(Item);
    const damping: FeedDampingState =
      item.dampingGz !== undefined
        ? DampingSchema.parse(JSON.parse(gunzipSync(item.dampingGz).toString("utf8")))
        : (item.damping ?? { pending: [] });
    const unjudged: UnjudgedFeedChange[] =
      item.unjudgedGz !== undefined
        ? UnjudgedSchema.parse(JSON.parse(gunzipSync(item.unjudgedGz).toString("utf8")))
        : (item.unjudged ?? []);
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
      ...(unjudged.length > 0 ? { unjudged } : {}),
    };
  };

  return {
    get,

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
        ...(pointer.unjudged !== undefined && pointer.unjudged.length > 0
          ? unjudgedAttribute(pointer.unjudged)
          : {}),
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

    async markChangesJudged(feed, changeIds) {
      if (changeIds.length === 0) return;
      const judged = new Set(changeIds);
      for (let attempt = 1; ; attempt++) {
        const pointer = await get(feed);
        const unjudged = pointer?.unjudged ?? [];
        if (pointer === null || !unjudged.some((change) => judged.has(change.changeId))) return;
        const left = unjudged.filter((change) => !judged.has(change.changeId));
        const attribute = left.length === 0 ? null : unjudgedAttribute(left);
        try {
          await documents.send(
            new UpdateCommand({
              TableName: tableName,
              Key: feedPointerKey(feed),
              UpdateExpression:
                attribute === null
                  ? "REMOVE unjudged, unjudgedGz"
                  : "unjudged" in attribute
                    ? "SET unjudged = :list REMOVE unjudgedGz"
                    : "SET unjudgedGz = :list REMOVE unjudged",
              // The list read belongs to this version; an ingest that moved it on is re-read.
              ConditionExpression: "#version = :version",
              ExpressionAttributeNames: { "#version": "version" },
              ExpressionAttributeValues: {
                ":version": pointer.version,
                ...(attribute === null
                  ? {}
                  : {
                      ":list": "unjudged" in attribute ? attribute.unjudged : attribute.unjudgedGz,
                    }),
              },
            }),
          );
          return;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException) || attempt >= MARK_ATTEMPTS) {
            throw error;
          }
        }
      }
    },
  };
}
