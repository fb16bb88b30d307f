import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import type { FeedId } from "#shared/domain/feed";
import type { FeedDampingState } from "#shared/observe/feeds/damping";
import type { FeedPointer, UnjudgedFeedChange } from "#shared/observe/feeds/ports";

/**
 * The current pointer item of a feed (`FEED#<feed>` / `CURRENT`) and back: pure mapping, no I/O.
 * The damping state and the unjudged changes are gzipped when large.
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

export function feedPointerKey(feed: FeedId): { pk: string; sk: "CURRENT" } {
  return { pk: `FEED#${feed}`, sk: "CURRENT" };
}

/** `unjudged` inline, or `unjudgedGz`, for a put or an update. */
export function unjudgedAttribute(
  unjudged: readonly UnjudgedFeedChange[],
): { unjudged: UnjudgedFeedChange[] } | { unjudgedGz: ReturnType<typeof gzipSync> } {
  const json = JSON.stringify(unjudged);
  return json.length <= INLINE_DAMPING_LIMIT
    ? { unjudged: [...unjudged] }
    : { unjudgedGz: gzipSync(json) };
}

/** The item a pointer is put as. */
export function feedPointerItem(pointer: FeedPointer): z.input<typeof PointerItem> {
  const dampingJson = JSON.stringify(pointer.damping);
  const inline = dampingJson.length <= INLINE_DAMPING_LIMIT;
  return {
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
}

/** The pointer a stored item holds, its gzipped parts unpacked, validated (zod throws). */
export function parseFeedPointer(stored: Record<string, unknown>): FeedPointer {
  const item = PointerItem.parse(stored);
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
}

/**
 * The update that leaves only `left` of a pointer's unjudged changes, under the version read
 * (it does not change the version).
 */
export function unjudgedUpdate(
  left: readonly UnjudgedFeedChange[],
  version: number,
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const attribute = left.length === 0 ? null : unjudgedAttribute(left);
  return {
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
      ":version": version,
      ...(attribute === null
        ? {}
        : { ":list": "unjudged" in attribute ? attribute.unjudged : attribute.unjudgedGz }),
    },
  };
}
