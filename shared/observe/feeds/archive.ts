import type { FeedId, FeedSnapshotMeta } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { FeedArchiveError, FeedRejectedError } from "./errors";
import { type FeedSnapshot, parseFeedSnapshot } from "./snapshot";

/** `feeds/<feed>/<sha256>.json`: content-addressed, so an archived snapshot never changes. */
export function feedArchiveKey(feed: FeedId, sha256: string): string {
  return `feeds/${feed}/${sha256}.json`;
}

/** The archived object's metadata: what the snapshot is, and where and when it was fetched. */
export function snapshotArchiveMetadata(meta: FeedSnapshotMeta): Record<string, string> {
  return {
    feed: meta.feed,
    ...(meta.syncToken !== undefined ? { syncToken: meta.syncToken } : {}),
    ...(meta.createDate !== undefined ? { createDate: meta.createDate } : {}),
    fetchedAt: meta.fetchedAt,
    source: meta.source,
  };
}

/** Reads an archived snapshot back and parses it; checks the bytes still hash to its name. */
export async function loadArchivedSnapshot(
  archive: ObjectArchive,
  meta: FeedSnapshotMeta,
): Promise<FeedSnapshot> {
  const object = await archive.get(meta.archiveKey);
  if (object === null) throw new FeedArchiveError(meta.feed, meta.archiveKey, "is missing");
  let snapshot: FeedSnapshot;
  try {
    snapshot = parseFeedSnapshot(meta.feed, object.bytes);
  } catch (error) {
    if (!(error instanceof FeedRejectedError)) throw error;
    throw new FeedArchiveError(
      meta.feed,
      meta.archiveKey,
      `is not a valid snapshot: ${error.reason}`,
      {
        cause: error,
      },
    );
  }
  if (snapshot.sha256 !== meta.sha256) {
    throw new FeedArchiveError(
      meta.feed,
      meta.archiveKey,
      `hashes to ${snapshot.sha256}, not ${meta.sha256}`,
    );
  }
  return snapshot;
}
