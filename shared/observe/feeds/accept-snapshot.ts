import type {
  FeedDiff,
  FeedId,
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
} from "#shared/domain/feed";
import { feedArchiveKey, snapshotArchiveMetadata } from "./archive";
import { judgingRunId, unjudgedChangeOf, withUnjudgedChange } from "./changes";
import {
  type DampedChanges,
  dampFeedChanges,
  EMPTY_DAMPING_STATE,
  type FeedDampingState,
  type FeedGrace,
} from "./damping";
import { compareFeedPrefixes, diffFeedPrefixes } from "./diff";
import type { FeedPointer } from "./ports";
import { type FeedSnapshot, feedPrefixKey } from "./snapshot";

export interface AcceptSnapshotInput {
  source: { id: FeedId; url: string };
  /** The current pointer, null for a feed's first snapshot. */
  pointer: FeedPointer | null;
  /** The current snapshot read back from the archive; null when it could not be. */
  previous: FeedSnapshot | null;
  snapshot: FeedSnapshot;
  /** The download: its final URL and validators. */
  fetched: { url: string; etag?: string; lastModified?: string };
  now: Date;
  grace: FeedGrace;
  runId: string | undefined;
  /** Carried onto the result (the current snapshot could not be read back). */
  warning: { warning?: string };
}

/** What accepting a new snapshot writes (steps 8 to 10 of `ingestFeeds`), decided purely. */
export interface AcceptedSnapshot {
  /** The new snapshot's metadata: its archive key, and the pointer's `meta`. */
  meta: FeedSnapshotMeta;
  /** The archived object's metadata. */
  archiveMetadata: Record<string, string>;
  /** The pointer to write, conditional on `expectedVersion`. */
  pointer: FeedPointer;
  expectedVersion: number | null;
  /** Pending removals cancelled because the prefix was published again within the grace. */
  cancelled: FeedPrefix[];
  /** The `updated` result, once the pointer is written. */
  result: FeedIngestResult;
}

/**
 * Accepts a new snapshot: the diff against the previous one, damped (a feed's first snapshot is
 * a baseline, every prefix added; none when the previous snapshot could not be read back), the
 * content-addressed archive key, and the next pointer with the change to judge on its unjudged
 * list (when it counts).
 */
export function acceptSnapshot(input: AcceptSnapshotInput): AcceptedSnapshot {
  const { source, pointer, snapshot, fetched } = input;
  const feed = source.id;
  const current = pointer?.meta ?? null;
  // 8.
  const damped = diffAndDamp(input);
  // 9.
  const fetchedAt = input.now.toISOString();
  const meta: FeedSnapshotMeta = {
    feed,
    sha256: snapshot.sha256,
    ...(snapshot.syncToken !== undefined ? { syncToken: snapshot.syncToken } : {}),
    ...(snapshot.createDate !== undefined ? { createDate: snapshot.createDate } : {}),
    fetchedAt,
    source: fetched.url,
    archiveKey: feedArchiveKey(feed, snapshot.sha256),
    prefixCount: snapshot.prefixCount,
  };
  // 10.
  const change = unjudgedChangeOf(
    damped === null
      ? undefined
      : { feed, from: current, to: meta, added: damped.added, removed: damped.removed },
    { runId: judgingRunId(input.runId, input.now), acceptedAt: fetchedAt },
  );
  const next: FeedPointer = {
    feed,
    version: (pointer?.version ?? 0) + 1,
    meta,
    url: source.url,
    ...(fetched.etag !== undefined ? { etag: fetched.etag } : {}),
    ...(fetched.lastModified !== undefined ? { lastModified: fetched.lastModified } : {}),
    damping:
      damped?.state ??
      (pointer === null ? EMPTY_DAMPING_STATE : stillWithdrawn(pointer.damping, snapshot)),
    confirmedAt: fetchedAt,
    updatedAt: fetchedAt,
    unjudged: withUnjudgedChange(pointer?.unjudged, change),
  };
  const diff: FeedDiff | undefined =
    damped === null
      ? undefined
      : {
          feed,
          from: current,
          to: meta,
          added: damped.added,
          removed: damped.removed,
          pendingRemovals: damped.state.pending.map((entry) => entry.prefix),
        };
  return {
    meta,
    archiveMetadata: snapshotArchiveMetadata(meta),
    pointer: next,
    expectedVersion: pointer?.version ?? null,
    cancelled: damped?.cancelled ?? [],
    result: {
      feed,
      status: "updated",
      ...input.warning,
      current: meta,
      confirmedAt: fetchedAt,
      ...(diff ? { diff } : {}),
    },
  };
}

/**
 * The raw diff against the previous snapshot, damped. The first snapshot of a feed is a
 * baseline: every prefix is "added" and `from` is null. Null when the previous snapshot could
 * not be read back from the archive: the new one is still accepted, without a diff.
 */
function diffAndDamp(input: AcceptSnapshotInput): DampedChanges | null {
  const { pointer, previous, snapshot } = input;
  if (pointer === null) {
    return {
      added: [...snapshot.prefixes].sort(compareFeedPrefixes),
      removed: [],
      cancelled: [],
      state: EMPTY_DAMPING_STATE,
    };
  }
  if (previous === null) return null;
  return dampFeedChanges({
    state: pointer.damping,
    changes: diffFeedPrefixes(previous.prefixes, snapshot.prefixes),
    now: input.now,
    grace: input.grace,
  });
}

/**
 * The damping state carried over to a new baseline accepted without a diff: a pending removal
 * whose prefix is still absent stays pending (it was withdrawn, and still is; this ingest is not
 * counted as one of its runs, since the snapshot in between is unknown); one published again is
 * dropped, as a re-publication within the grace would be.
 */
function stillWithdrawn(state: FeedDampingState, snapshot: FeedSnapshot): FeedDampingState {
  const published = new Set(snapshot.prefixes.map(feedPrefixKey));
  return { pending: state.pending.filter((entry) => !published.has(feedPrefixKey(entry.prefix))) };
}

/**
 * The result when another ingest replaced the pointer between our read and our write (`latest`,
 * read again): `unchanged` if it stored the same snapshot, else `stale-ignored`.
 */
export function lostRaceResult(
  feed: FeedId,
  latest: FeedPointer | null,
  ours: FeedSnapshotMeta,
): FeedIngestResult {
  const current = latest?.meta ?? null;
  const confirmed = latest !== null ? { confirmedAt: latest.confirmedAt } : {};
  if (current?.sha256 === ours.sha256) {
    return {
      feed,
      status: "unchanged",
      reason: "stored by a concurrent ingest",
      current,
      ...confirmed,
    };
  }
  return {
    feed,
    status: "stale-ignored",
    reason: `a concurrent ingest stored ${current?.sha256 ?? "another snapshot"} first`,
    current,
    ...confirmed,
  };
}
