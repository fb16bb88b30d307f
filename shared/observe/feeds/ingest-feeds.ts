import type { FeedDiff, FeedId, FeedIngestResult, FeedSnapshotMeta } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { feedArchiveKey, loadArchivedSnapshot } from "./archive";
import { unjudgedChangeOf, withUnjudgedChange } from "./changes";
import {
  type DampedChanges,
  dampFeedChanges,
  EMPTY_DAMPING_STATE,
  type FeedDampingState,
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
  checkNotFromTheFuture,
  checkNotificationMd5,
  checkPrefixCounts,
  compareSyncTokens,
  DEFAULT_FUTURE_TOLERANCE_SECONDS,
  type FeedSnapshot,
  feedPrefixKey,
  isFutureSyncToken,
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
  /**
   * Reject an ip-ranges.json whose syncToken or createDate is more than this many seconds after
   * `now`; a stored syncToken beyond it is not used to order versions (default one day).
   */
  futureToleranceSeconds?: number;
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
 *    Then read the current snapshot back from the archive (the base of the diff in 8).
 * 3. Fetch with If-None-Match / If-Modified-Since; a 304 is `unchanged` (no download).
 * 4. Parse and verify: JSON not HTML, not truncated, schema, CIDRs, no empty list, not dated
 *    more than the tolerance after `now`.
 * 5. Same sha256 as the current snapshot: `unchanged`.
 * 6. ip-ranges: md5 against the notification for that syncToken; a syncToken not newer than
 *    the stored one is `stale-ignored`.
 * 7. Reject a collapsed prefix count against the previous snapshot.
 * 8. Diff against the previous snapshot (from the archive) and apply flap damping.
 * 9. Archive the raw bytes, content-addressed (skipped when already there).
 * 10. Replace the pointer, conditional on the version read in 1: `updated`, with the diff.
 * Unchanged ingests also advance the damping of pending removals (a removal can come due then).
 *
 * A stored syncToken more than the tolerance after `now` (accepted before versions were checked
 * against the clock) is not used in 2 and 6, so a genuine version replaces it; the result carries
 * a `warning` saying so.
 *
 * When the current snapshot cannot be read back (the archived object is missing, or is not the
 * snapshot the pointer names) the feed must not stay wedged on it, and nothing is diffed against
 * it. The result carries a `warning` naming the key, and:
 * - no validators are sent (a 304 would keep the pointer on the lost object);
 * - the same bytes again (same sha256) restore the archived object; the damping state stays;
 * - a new snapshot is accepted as a new baseline, without a diff (nothing added or removed);
 *   pending removals stay pending when the prefix is still absent, the others are dropped;
 * - a failed download leaves the pointer as it is: the feed has no ranges until one is accepted
 *   (`loadCurrentRangeMatchers` leaves it out, as for a feed without a snapshot).
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
  const tolerance = input.options.futureToleranceSeconds ?? DEFAULT_FUTURE_TOLERANCE_SECONDS;
  const futureToken =
    current?.syncToken !== undefined && isFutureSyncToken(current.syncToken, input.now, tolerance)
      ? current.syncToken
      : undefined;
  const futureWarning =
    futureToken === undefined
      ? undefined
      : `feed ${feed}: the stored syncToken ${futureToken} is more than ${tolerance} s after now ` +
        `(${input.now.toISOString()}); it is not used to order versions`;
  const finish = (outcome: FeedIngestResult): FeedIngestResult => {
    const result =
      futureWarning === undefined
        ? outcome
        : {
            ...outcome,
            warning:
              outcome.warning === undefined
                ? futureWarning
                : `${outcome.warning}; ${futureWarning}`,
          };
    const fields = {
      feed,
      status: result.status,
      reason: result.reason,
      warning: result.warning,
      sha256: result.current?.sha256,
      syncToken: result.current?.syncToken,
      added: result.diff?.added.length,
      removed: result.diff?.removed.length,
      pendingRemovals: result.diff?.pendingRemovals?.length,
    };
    if (result.status === "rejected" || result.status === "unreachable") {
      logger.error("feed ingest failed", fields);
    } else if (result.warning !== undefined) logger.warn("feed ingested with a warning", fields);
    else logger.info("feed ingested", fields);
    return result;
  };

  // 2.
  const storedToken = futureToken === undefined ? current?.syncToken : undefined;
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

  const stored = pointer === null ? null : await readStoredSnapshot(deps.archive, pointer, logger);
  const previous = stored !== null && "snapshot" in stored ? stored.snapshot : null;
  const unreadable = stored !== null && "unreadable" in stored ? stored.unreadable : null;
  const warned = (outcome: string) =>
    unreadable === null ? {} : { warning: `${unreadable.message}; ${outcome}` };
  const noRanges = warned("no published ranges of this feed until a download is accepted");
  /** A download that was not accepted: the last good snapshot stays current. */
  const notAccepted = (status: "unreachable" | "rejected", error: Error) =>
    finish({ feed, status, reason: error.message, ...noRanges, current, ...lastConfirmed });

  // 3.
  let fetched: FeedFetchResult;
  try {
    fetched = await deps.fetcher.fetch({
      feed,
      url: source.url,
      ...(pointer !== null && pointer.url === source.url && unreadable === null
        ? {
            ...(pointer.etag !== undefined ? { etag: pointer.etag } : {}),
            ...(pointer.lastModified !== undefined ? { lastModified: pointer.lastModified } : {}),
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof FeedUnreachableError) return notAccepted("unreachable", error);
    if (error instanceof FeedRejectedError) return notAccepted("rejected", error);
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
    return finish(await recordUnchanged(deps, input, pointer, source.url, {}, noRanges));
  }

  let snapshot: FeedSnapshot;
  try {
    // 4.
    snapshot = parseFeedSnapshot(feed, fetched.bytes, {
      ...(fetched.contentType !== undefined ? { contentType: fetched.contentType } : {}),
    });
    checkNotFromTheFuture(snapshot, input.now, tolerance);
    // 5.
    if (pointer !== null && snapshot.sha256 === pointer.meta.sha256) {
      if (unreadable !== null) await restoreArchivedSnapshot(deps.archive, pointer.meta, fetched);
      const restored = warned("restored from this download (the same sha256)");
      return finish(await recordUnchanged(deps, input, pointer, source.url, fetched, restored));
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
        ...noRanges,
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
    if (error instanceof FeedRejectedError) return notAccepted("rejected", error);
    throw error;
  }

  // 8.
  const damped = diffAndDamp(input, pointer, previous, snapshot, logger);

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
    damping:
      damped?.state ??
      (pointer === null ? EMPTY_DAMPING_STATE : stillWithdrawn(pointer.damping, snapshot)),
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
    ...warned(
      "the new snapshot is accepted as a new baseline, without a diff: what changed since the " +
        "missing snapshot cannot be reported",
    ),
    current: meta,
    confirmedAt: fetchedAt,
    ...(diff ? { diff } : {}),
  });
}

type StoredSnapshot = { snapshot: FeedSnapshot } | { unreadable: FeedArchiveError };

/**
 * The current pointer's snapshot, read back from the archive, or why it cannot be (logged at
 * error level with the key, for the operator's alarm). A store failure still throws.
 */
async function readStoredSnapshot(
  archive: ObjectArchive,
  pointer: FeedPointer,
  logger: FeedLogger,
): Promise<StoredSnapshot> {
  try {
    return { snapshot: await loadArchivedSnapshot(archive, pointer.meta) };
  } catch (error) {
    if (!(error instanceof FeedArchiveError)) throw error;
    logger.error("archived snapshot of the current feed pointer is unreadable", {
      feed: pointer.feed,
      key: pointer.meta.archiveKey,
      error: error.message,
    });
    return { unreadable: error };
  }
}

/**
 * Puts back the bytes of the current snapshot, downloaded again, with the pointer's metadata.
 * Always written: a corrupt object may still carry the original bytes' `sha256` metadata.
 */
async function restoreArchivedSnapshot(
  archive: ObjectArchive,
  meta: FeedSnapshotMeta,
  fetched: { bytes: Uint8Array },
): Promise<void> {
  await archive.putIfChanged(
    meta.archiveKey,
    fetched.bytes,
    "application/json",
    {
      feed: meta.feed,
      ...(meta.syncToken !== undefined ? { syncToken: meta.syncToken } : {}),
      ...(meta.createDate !== undefined ? { createDate: meta.createDate } : {}),
      fetchedAt: meta.fetchedAt,
      source: meta.source,
    },
    { overwrite: true },
  );
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
 * The raw diff against the previous snapshot, damped. The first snapshot of a feed is a
 * baseline: every prefix is "added" and `from` is null. Null when the previous snapshot could
 * not be read back from the archive: the new one is still accepted, without a diff.
 */
function diffAndDamp(
  input: IngestFeedsInput,
  pointer: FeedPointer | null,
  previous: FeedSnapshot | null,
  snapshot: FeedSnapshot,
  logger: FeedLogger,
): DampedChanges | null {
  if (pointer === null) {
    return {
      added: [...snapshot.prefixes].sort(compareFeedPrefixes),
      removed: [],
      cancelled: [],
      state: EMPTY_DAMPING_STATE,
    };
  }
  if (previous === null) return null;
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
  warning: { warning?: string },
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
      ...warning,
      current: latest?.meta ?? meta,
      confirmedAt: latest?.confirmedAt ?? pointer.confirmedAt,
    };
  }
  const result: FeedIngestResult = {
    feed,
    status: "unchanged",
    ...warning,
    current: meta,
    confirmedAt: now,
  };
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
