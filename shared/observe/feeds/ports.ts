import type { FeedDiff, FeedId, FeedSnapshotMeta } from "#shared/domain/feed";
import type { FeedDampingState } from "./damping";

/**
 * The ports of the feed ingest. Adapters: `createHttpFeedFetcher` (http, https, file://),
 * `createS3ObjectArchive` (shared/adapters/s3) and `createDynamoFeedPointerStore`
 * (shared/adapters/dynamodb).
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
  /**
   * Changes this feed's ingests accepted that no compare step has committed yet, oldest first
   * (absent: none). The pointer is written before the change is judged, so a crash in between
   * would lose it: the next cycle judges these first (shared/detect/judge-unjudged.ts).
   */
  unjudged?: UnjudgedFeedChange[];
}

/**
 * A change an ingest accepted with the pointer: a new snapshot's diff after flap damping (not
 * the baseline of a first snapshot), or removals that came due on an unchanged feed, with the
 * added and removed prefixes (not the pending removals) and what it is judged under.
 */
export interface UnjudgedFeedChange {
  /** `feedChangeId(diff)`: the same diff always has the same id. */
  changeId: string;
  /** The run that judges it: a later judge commits it under the same id. */
  runId: string;
  /** The ingest's time: the judge's `now`. */
  acceptedAt: string;
  diff: FeedDiff & { from: FeedSnapshotMeta };
}

export interface FeedPointerStore {
  get(feed: FeedId): Promise<FeedPointer | null>;
  /**
   * Writes the pointer if the stored version is still `expectedVersion` (`null`: none stored
   * yet); otherwise throws `FeedPointerConflictError` and changes nothing.
   */
  put(pointer: FeedPointer, expectedVersion: number | null): Promise<void>;
}

/** Where the compare step marks the feed changes it committed. */
export interface FeedChangeJudgements {
  /**
   * Takes these changes off the feed's unjudged list. Never moves the pointer's version (an
   * ingest racing it keeps its optimistic lock), so a racing ingest may put one back: it is
   * then judged again, which commits nothing twice.
   */
  markChangesJudged(feed: FeedId, changeIds: readonly string[]): Promise<void>;
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
