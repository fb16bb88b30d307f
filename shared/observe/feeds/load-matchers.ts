import type { FeedId, RangeMatcher } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { loadArchivedSnapshot } from "./archive";
import { FeedArchiveError } from "./errors";
import { createRangeMatcher } from "./matcher";
import type { FeedLogger, FeedPointerStore } from "./ports";

/** Where an unreadable archived snapshot is reported: at error level when the logger has one. */
export type UnreadableSnapshotLogger = Pick<FeedLogger, "warn"> &
  Partial<Pick<FeedLogger, "error">>;

export interface CurrentRanges {
  /** A matcher per feed whose current snapshot could be read back. */
  matchers: Map<FeedId, RangeMatcher>;
  /**
   * Feeds whose pointer names an archived snapshot that cannot be read back (missing, or not the
   * snapshot named): they have no matcher, as if they had no snapshot yet.
   */
  unreadable: FeedArchiveError[];
}

/**
 * The current range matchers and the feeds whose archived snapshot is unreadable. A feed with an
 * unreadable snapshot is left out (its endpoints cannot be judged against published ranges: no
 * verdict from a snapshot we do not have) and logged with its key, never thrown: it would wedge
 * every cycle until an operator repaired the bucket. The next ingest that downloads the feed
 * restores the object or accepts a new baseline. A store failure (S3, DynamoDB) still throws.
 */
export async function loadCurrentRanges(deps: {
  archive: ObjectArchive;
  pointers: FeedPointerStore;
  feeds?: readonly FeedId[];
  logger?: UnreadableSnapshotLogger;
}): Promise<CurrentRanges> {
  const feeds = deps.feeds ?? (["aws-ip-ranges", "cloudfront"] as const);
  const matchers = new Map<FeedId, RangeMatcher>();
  const unreadable: FeedArchiveError[] = [];
  await Promise.all(
    feeds.map(async (feed) => {
      const pointer = await deps.pointers.get(feed);
      if (pointer === null) return;
      let snapshot: Awaited<ReturnType<typeof loadArchivedSnapshot>>;
      try {
        snapshot = await loadArchivedSnapshot(deps.archive, pointer.meta);
      } catch (error) {
        if (!(error instanceof FeedArchiveError)) throw error;
        unreadable.push(error);
        const report = deps.logger?.error ?? deps.logger?.warn;
        report?.call(deps.logger, "archived snapshot of the current feed pointer is unreadable", {
          feed,
          key: error.key,
          error: error.message,
        });
        return;
      }
      const pending = pointer.damping.pending.map((entry) => entry.prefix);
      matchers.set(feed, createRangeMatcher(pointer.meta, [...snapshot.prefixes, ...pending]));
    }),
  );
  unreadable.sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
  return { matchers, unreadable };
}

/**
 * A matcher per feed that has a current snapshot, built from the current pointer and the
 * archived bytes. Prefixes whose removal is still inside the flap-damping grace period are
 * included: until the removal counts, the range is still treated as published. Feeds without a
 * snapshot, and feeds whose archived snapshot cannot be read back (logged, see
 * `loadCurrentRanges`), are absent from the map.
 */
export async function loadCurrentRangeMatchers(deps: {
  archive: ObjectArchive;
  pointers: FeedPointerStore;
  feeds?: readonly FeedId[];
  logger?: UnreadableSnapshotLogger;
}): Promise<Map<FeedId, RangeMatcher>> {
  return (await loadCurrentRanges(deps)).matchers;
}
