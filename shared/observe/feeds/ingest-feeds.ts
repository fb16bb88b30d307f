import type { FeedDiff, FeedId, FeedIngestResult, FeedSnapshotMeta } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/stores/s3/object-archive";
import { feedArchiveKey, loadArchivedSnapshot } from "./archive";
import { unjudgedChangeOf, withUnjudgedChange } from "./changes";
import {
  type DampedChanges,
  dampFeedChanges,
  EMPTY_DAMPING_STATE,
  type FeedGrace,
} from "./damping";
import { compareFeedPrefixes, diffFeedPrefixes } from "./diff";
import {
  FeedArchiveError,
  FeedIngestIncompleteError,
  FeedPointerConflictError,
  FeedRejectedError,
  FeedUnreachableError,
} from "./errors";
import {
  type FeedFetcher,
  type FeedFetchResult,
  type FeedLogger,
  type FeedPointer,
  type FeedPointerStore,
  silentFeedLogger,
} from "./ports";
import type { IpSpaceChangedNotification } from "./schema";
import {
  checkNotificationMd5,
  checkPrefixCounts,
  compareSyncTokens,
  type FeedSnapshot,
  parseFeedSnapshot,
} from "./snapshot";

export interface IngestFeedsDeps {
  fetcher: FeedFetcher;
  archive: ObjectArchive;
  pointers: FeedPointerStore;
  logger?: FeedLogger;
}

export interface FeedIngestOptions {
  grace: FeedGrace;
  /** Reject a snapshot with fewer than this share of the previous one's prefixes (per family). */
  minPrefixRatio?: number;
}

export const DEFAULT_MIN_PREFIX_RATIO = 0.5;

export interface IngestFeedsInput {
  feeds: { id: FeedId; url: string }[];
  now: Date;
  /** From AmazonIpSpaceChanged; applies to `aws-ip-ranges` only. */
  notification?: IpSpaceChangedNotification;
  options: FeedIngestOptions;
  /**
   * The run that judges what this ingest accepts, kept with each accepted change on the pointer
   * so that a later judge commits it under the same id (default `feeds-<now ISO>`).
   */
  runId?: string;
}

/**
 * Ingests the IP-range feeds, each on its own: one broken feed never blocks another, and after
 * any failure the last good snapshot stays current.
 *
 * Primary course, per feed:
 * 1. Read the current pointer (meta, validators, damping state).
 * 2. A notification whose syncToken is not newer than the stored one: `stale-ignored`, no download.
 * 3. Fetch with If-None-Match / If-Modified-Since; a 304 is `unchanged` (no download).
 * 4. Parse and verify: JSON not HTML, not truncated, schema, CIDRs, no empty list.
 * 5. Same sha256 as the current snapshot: `unchanged`.
 * 6. ip-ranges: md5 against the notification for that syncToken; a syncToken not newer than
 *    the stored one is `stale-ignored`.
 * 7. Reject a collapsed prefix count against the previous snapshot.
 * 8. Diff against the previous snapshot (from the archive) and apply flap damping.
 * 9. Archive the raw bytes, content-addressed (skipped when already there).
 * 10. Replace the pointer, conditional on the version read in 1: `updated`, with the diff.
 * Unchanged ingests also advance the damping of pending removals (a removal can come due then).
 *
 * A change that counts (a non-baseline diff with an addition or removal, or removals that came
 * due) is written onto the pointer's `unjudged` list in the same put: the compare step judges it
 * after this returns and then marks it (`markChangesJudged`); a crash in between leaves it there
 * for the next cycle to judge first, so it is never lost with the pointer already moved on.
 *
 * Throws `FeedIngestIncompleteError` (carrying the completed results) only when a store or the archive
 * failed; bad or unreachable feeds are results, not exceptions.
 */
export async function ingestFeeds(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
): Promise<FeedIngestResult[]> {
  const settled = await Promise.allSettled(
    input.feeds.map((feed) => ingestFeed(deps, input, feed)),
  );
  const results: FeedIngestResult[] = [];
  const failures: { feed: FeedId; error: unknown }[] = [];
  settled.forEach((outcome, i) => {
    const feed = (input.feeds[i] as { id: FeedId }).id;
    if (outcome.status === "fulfilled") results.push(outcome.value);
    else failures.push({ feed, error: outcome.reason });
  });
  if (failures.length > 0) throw new FeedIngestIncompleteError(results, failures);
  return results;
}

async function ingestFeed(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
  source: { id: FeedId; url: string },
): Promise<FeedIngestResult> {
  const logger = deps.logger ?? silentFeedLogger;
  const feed = source.id;
  const notification = feed === "aws-ip-ranges" ? input.notification : undefined;

  // 1.
  const pointer = await deps.pointers.get(feed);
  const current = pointer?.meta ?? null;
  const lastConfirmed = pointer !== null ? { confirmedAt: pointer.confirmedAt } : {};
  const finish = (result: FeedIngestResult): FeedIngestResult => {
    const fields = {
      feed,
      status: result.status,
      reason: result.reason,
      sha256: result.current?.sha256,
      syncToken: result.current?.syncToken,
      added: result.diff?.added.length,
      removed: result.diff?.removed.length,
      pendingRemovals: result.diff?.pendingRemovals?.length,
    };
    if (result.status === "rejected" || result.status === "unreachable") {
      logger.error("feed ingest failed", fields);
    } else logger.info("feed ingested", fields);
    return result;
  };

  // 2.
  const storedToken = current?.syncToken;
  if (
    notification !== undefined &&
    storedToken !== undefined &&
    compareSyncTokens(notification.syncToken, storedToken) <= 0
  ) {
    return finish({
      feed,
      status: "stale-ignored",
      reason: `notification syncToken ${notification.syncToken} is not newer than the stored ${storedToken}`,
      current,
      ...lastConfirmed,
    });
  }

  // 3.
  let fetched: FeedFetchResult;
  try {
    fetched = await deps.fetcher.fetch({
      feed,
      url: source.url,
      ...(pointer !== null && pointer.url === source.url
        ? {
            ...(pointer.etag !== undefined ? { etag: pointer.etag } : {}),
            ...(pointer.lastModified !== undefined ? { lastModified: pointer.lastModified } : {}),
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof FeedUnreachableError) {
      return finish({
        feed,
        status: "unreachable",
        reason: error.message,
        current,
        ...lastConfirmed,
      });
    }
    if (error instanceof FeedRejectedError) {
      return finish({ feed, status: "rejected", reason: error.message, current, ...lastConfirmed });
    }
    throw error;
  }
  if (fetched.status === "not-modified") {
    if (pointer === null) {
      return finish({
        feed,
        status: "rejected",
        reason: new FeedRejectedError(feed, "HTTP 304 but no snapshot is stored").message,
        current,
      });
    }
    return finish(await recordUnchanged(deps, input, pointer, source.url, {}));
  }

  let snapshot: FeedSnapshot;
  try {
    // 4.
    snapshot = parseFeedSnapshot(feed, fetched.bytes, {
      ...(fetched.contentType !== undefined ? { contentType: fetched.contentType } : {}),
    });
    // 5.
    if (pointer !== null && snapshot.sha256 === pointer.meta.sha256) {
      return finish(await recordUnchanged(deps, input, pointer, source.url, fetched));
    }
    // 6.
    const md5 = checkNotificationMd5(snapshot, notification);
    if (notification !== undefined && md5 === "not-applicable") {
      logger.warn("notification describes another version; md5 not applicable", {
        feed,
        notified: notification.syncToken,
        fetched: snapshot.syncToken,
      });
    }
    if (
      storedToken !== undefined &&
      snapshot.syncToken !== undefined &&
      compareSyncTokens(snapshot.syncToken, storedToken) <= 0
    ) {
      return finish({
        feed,
        status: "stale-ignored",
        reason: `fetched syncToken ${snapshot.syncToken} is not newer than the stored ${storedToken}`,
        current,
        ...lastConfirmed,
      });
    }
    // 7.
    checkPrefixCounts(
      feed,
      snapshot.prefixCount,
      current?.prefixCount ?? null,
      input.options.minPrefixRatio ?? DEFAULT_MIN_PREFIX_RATIO,
    );
  } catch (error) {
    if (error instanceof FeedRejectedError) {
      return finish({ feed, status: "rejected", reason: error.message, current, ...lastConfirmed });
    }
    throw error;
  }

  // 8.
  const damped = await diffAndDamp(deps, input, pointer, snapshot, logger);

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
  await deps.archive.putIfChanged(meta.archiveKey, fetched.bytes, "application/json", {
    feed,
    ...(meta.syncToken !== undefined ? { syncToken: meta.syncToken } : {}),
    ...(meta.createDate !== undefined ? { createDate: meta.createDate } : {}),
    fetchedAt,
    source: meta.source,
  });

  // 10.
  const change = unjudgedChangeOf(
    damped === null
      ? undefined
      : { feed, from: current, to: meta, added: damped.added, removed: damped.removed },
    { runId: judgingRunId(input), acceptedAt: fetchedAt },
  );
  const next: FeedPointer = {
    feed,
    version: (pointer?.version ?? 0) + 1,
    meta,
    url: source.url,
    ...(fetched.etag !== undefined ? { etag: fetched.etag } : {}),
    ...(fetched.lastModified !== undefined ? { lastModified: fetched.lastModified } : {}),
    damping: damped?.state ?? EMPTY_DAMPING_STATE,
    confirmedAt: fetchedAt,
    updatedAt: fetchedAt,
    unjudged: withUnjudgedChange(pointer?.unjudged, change),
  };
  try {
    await deps.pointers.put(next, pointer?.version ?? null);
  } catch (error) {
    if (error instanceof FeedPointerConflictError) return finish(await lostRace(deps, feed, meta));
    throw error;
  }
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
  return finish({
    feed,
    status: "updated",
    current: meta,
    confirmedAt: fetchedAt,
    ...(diff ? { diff } : {}),
  });
}

/**
 * The raw diff against the previous snapshot, damped. The first snapshot of a feed is a
 * baseline: every prefix is "added" and `from` is null. Null when the previous snapshot cannot
 * be read back from the archive: the new one is still accepted, without a diff.
 */
async function diffAndDamp(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
  pointer: FeedPointer | null,
  snapshot: FeedSnapshot,
  logger: FeedLogger,
): Promise<DampedChanges | null> {
  if (pointer === null) {
    return {
      added: [...snapshot.prefixes].sort(compareFeedPrefixes),
      removed: [],
      cancelled: [],
      state: EMPTY_DAMPING_STATE,
    };
  }
  let previous: FeedSnapshot;
  try {
    previous = await loadArchivedSnapshot(deps.archive, pointer.meta);
  } catch (error) {
    if (!(error instanceof FeedArchiveError)) throw error;
    logger.error("previous snapshot unreadable; accepting the new one without a diff", {
      feed: snapshot.feed,
      error: error.message,
    });
    return null;
  }
  const damped = dampFeedChanges({
    state: pointer.damping,
    changes: diffFeedPrefixes(previous.prefixes, snapshot.prefixes),
    now: input.now,
    grace: input.options.grace,
  });
  if (damped.cancelled.length > 0) {
    logger.info("flapping prefixes re-published within the grace period", {
      feed: snapshot.feed,
      prefixes: damped.cancelled.map((p) => `${p.prefix} ${p.service} ${p.region}`),
    });
  }
  return damped;
}

/**
 * The feed did not change: record that it was confirmed current, refresh the validators and
 * advance pending removals (a removal can come due on an unchanged feed).
 */
async function recordUnchanged(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
  pointer: FeedPointer,
  url: string,
  validators: { etag?: string; lastModified?: string },
): Promise<FeedIngestResult> {
  const { feed, meta } = pointer;
  const now = input.now.toISOString();
  const damped = dampFeedChanges({
    state: pointer.damping,
    changes: { added: [], removed: [] },
    now: input.now,
    grace: input.options.grace,
  });
  const etag = validators.etag ?? pointer.etag;
  const lastModified = validators.lastModified ?? pointer.lastModified;
  const due = unjudgedChangeOf(
    { feed, from: meta, to: meta, added: [], removed: damped.removed },
    { runId: judgingRunId(input), acceptedAt: now },
  );
  try {
    await deps.pointers.put(
      {
        ...pointer,
        version: pointer.version + 1,
        url,
        ...(etag !== undefined ? { etag } : {}),
        ...(lastModified !== undefined ? { lastModified } : {}),
        damping: damped.state,
        confirmedAt: now,
        updatedAt: now,
        unjudged: withUnjudgedChange(pointer.unjudged, due),
      },
      pointer.version,
    );
  } catch (error) {
    if (!(error instanceof FeedPointerConflictError)) throw error;
    // Another ingest moved the pointer on; it owns the damping from here.
    const latest = await deps.pointers.get(feed);
    return {
      feed,
      status: "unchanged",
      current: latest?.meta ?? meta,
      confirmedAt: latest?.confirmedAt ?? pointer.confirmedAt,
    };
  }
  const result: FeedIngestResult = { feed, status: "unchanged", current: meta, confirmedAt: now };
  if (damped.removed.length === 0) return result;
  return {
    ...result,
    diff: {
      feed,
      from: meta,
      to: meta,
      added: [],
      removed: damped.removed,
      pendingRemovals: damped.state.pending.map((entry) => entry.prefix),
    },
  };
}

function judgingRunId(input: IngestFeedsInput): string {
  return input.runId ?? `feeds-${input.now.toISOString()}`;
}

/** Another ingest replaced the pointer between our read and our write. */
async function lostRace(
  deps: IngestFeedsDeps,
  feed: FeedId,
  ours: FeedSnapshotMeta,
): Promise<FeedIngestResult> {
  const latest = await deps.pointers.get(feed);
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
