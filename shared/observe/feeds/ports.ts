import type { FeedId, FeedSnapshotMeta } from "#shared/domain/feed";
import type { FeedDampingState } from "./damping";

/**
 * The ports of the feed ingest. Adapters: `createHttpFeedFetcher` (http, https, file://),
 * `createS3ObjectArchive` (shared/stores/s3) and `createDynamoFeedPointerStore`
 * (shared/stores/dynamodb).
 */

export interface FeedFetchRequest {
  feed: FeedId;
  url: string;
  /** Validators from the last download, sent as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
}

export type FeedFetchResult =
  | { status: "not-modified"; url: string }
  | {
      status: "fetched";
      /** Final URL, after redirects. */
      url: string;
      /** The body as served (gunzipped for a `.gz` file). */
      bytes: Uint8Array;
      contentType?: string;
      etag?: string;
      lastModified?: string;
    };

export interface FeedFetcher {
  /** Throws `FeedUnreachableError` or `FeedRejectedError`, naming the feed and the reason. */
  fetch(request: FeedFetchRequest): Promise<FeedFetchResult>;
}

/** The current accepted snapshot of a feed and what the next ingest needs to know. */
export interface FeedPointer {
  feed: FeedId;
  /** Optimistic concurrency: 1 on the first write, +1 on every write. */
  version: number;
  meta: FeedSnapshotMeta;
  /** The URL the validators belong to (the configured one, before redirects). */
  url: string;
  etag?: string;
  lastModified?: string;
  damping: FeedDampingState;
  /** Last time the feed was confirmed to still serve `meta` (accepted, or unchanged). */
  confirmedAt: string;
  updatedAt: string;
}

export interface FeedPointerStore {
  get(feed: FeedId): Promise<FeedPointer | null>;
  /**
   * Writes the pointer if the stored version is still `expectedVersion` (`null`: none stored
   * yet); otherwise throws `FeedPointerConflictError` and changes nothing.
   */
  put(pointer: FeedPointer, expectedVersion: number | null): Promise<void>;
}

/** Structured logging, as the Powertools logger does it. */
export interface FeedLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentFeedLogger: FeedLogger = {
  info() {},
  warn() {},
  error() {},
};
