import type { FeedId, FeedIngestResult, FeedSnapshotMeta } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import { type AcceptSnapshotInput, acceptSnapshot, lostRaceResult } from "./accept-snapshot";
import { loadArchivedSnapshot, snapshotArchiveMetadata } from "./archive";
import { confirmUnchanged, unchangedAfterConflict } from "./confirm-unchanged";
import type { FeedGrace } from "./damping";
import {
  FeedArchiveError,
  FeedIngestIncompleteError,
  FeedPointerConflictError,
  FeedRejectedError,
  FeedUnreachableError,
} from "./errors";
import { feedFetchRequest } from "./feed-fetch-request";
import { judgeDownload } from "./judge-download";
import {
  type FeedFetcher,
  type FeedFetchRequest,
  type FeedFetchResult,
  type FeedLogger,
  type FeedPointer,
  type FeedPointerStore,
  silentFeedLogger,
} from "./ports";
import type { IpSpaceChangedNotification } from "./schema";
import { DEFAULT_FUTURE_TOLERANCE_SECONDS, type FeedSnapshot } from "./snapshot";
import { staleVersionReason, storedVersion, withVersionWarning } from "./stored-version";

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
 * The decisions are pure, apart from this I/O shell: the version guards (`storedVersion`), the
 * request (`feedFetchRequest`), accept or reject a download (`judgeDownload`, 4 to 7), what a
 * new snapshot writes (`acceptSnapshot`, 8 to 10) and what an unchanged one does
 * (`confirmUnchanged`).
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
  const tolerance = input.options.futureToleranceSeconds ?? DEFAULT_FUTURE_TOLERANCE_SECONDS;

  // 1.
  const pointer = await deps.pointers.get(feed);
  const current = pointer?.meta ?? null;
  const lastConfirmed = pointer !== null ? { confirmedAt: pointer.confirmedAt } : {};
  const stored = storedVersion(feed, current, input.now, tolerance);
  const finish = (outcome: FeedIngestResult) =>
    logIngestResult(logger, withVersionWarning(outcome, stored));
  const staleIgnored = (reason: string, warning: { warning?: string } = {}) =>
    finish({ feed, status: "stale-ignored", reason, ...warning, current, ...lastConfirmed });

  // 2.
  const staleNotice = staleVersionReason("notification", notification?.syncToken, stored);
  if (staleNotice !== null) return staleIgnored(staleNotice);
  const base = pointer === null ? null : await readStoredSnapshot(deps.archive, pointer, logger);
  const previous = base !== null && "snapshot" in base ? base.snapshot : null;
  const unreadable = base !== null && "unreadable" in base ? base.unreadable : null;
  const warned = (outcome: string) =>
    unreadable === null ? {} : { warning: `${unreadable.message}; ${outcome}` };
  const noRanges = warned("no published ranges of this feed until a download is accepted");
  /** A download that was not accepted: the last good snapshot stays current. */
  const notAccepted = (status: "unreachable" | "rejected", error: Error) =>
    finish({ feed, status, reason: error.message, ...noRanges, current, ...lastConfirmed });

  // 3.
  const fetched = await fetchFeed(
    deps.fetcher,
    feedFetchRequest(source, pointer, unreadable === null),
  );
  if (fetched instanceof FeedUnreachableError) return notAccepted("unreachable", fetched);
  if (fetched instanceof FeedRejectedError) return notAccepted("rejected", fetched);
  if (fetched.status === "not-modified") {
    if (pointer === null) {
      const error = new FeedRejectedError(feed, "HTTP 304 but no snapshot is stored");
      return finish({ feed, status: "rejected", reason: error.message, current });
    }
    return finish(await recordUnchanged(deps, input, pointer, source.url, {}, noRanges));
  }

  // 4. to 7.
  const judged = judgeDownload(fetched, {
    feed,
    pointer,
    stored,
    notification,
    now: input.now,
    toleranceSeconds: tolerance,
    minPrefixRatio: input.options.minPrefixRatio ?? DEFAULT_MIN_PREFIX_RATIO,
  });
  if (judged.otherVersionNotified !== undefined) {
    logger.warn("notification describes another version; md5 not applicable", {
      feed,
      ...judged.otherVersionNotified,
    });
  }
  switch (judged.verdict) {
    case "rejected":
      return notAccepted("rejected", judged.error);
    case "stale":
      return staleIgnored(judged.reason, noRanges);
    case "current": {
      if (unreadable !== null)
        await restoreArchivedSnapshot(deps.archive, judged.pointer.meta, fetched);
      const restored = warned("restored from this download (the same sha256)");
      return finish(
        await recordUnchanged(deps, input, judged.pointer, source.url, fetched, restored),
      );
    }
    case "new": {
      // 8. to 10.
      const baseline = warned(
        "the new snapshot is accepted as a new baseline, without a diff: what changed since " +
          "the missing snapshot cannot be reported",
      );
      const { snapshot } = judged;
      const accepted = { source, pointer, previous, snapshot, fetched, warning: baseline };
      return finish(await recordAccepted(deps, input, accepted, fetched.bytes));
    }
  }
}

/** The download, or why the feed is unreachable or rejected; a store failure still throws. */
async function fetchFeed(
  fetcher: FeedFetcher,
  request: FeedFetchRequest,
): Promise<FeedFetchResult | FeedUnreachableError | FeedRejectedError> {
  try {
    return await fetcher.fetch(request);
  } catch (error) {
    if (error instanceof FeedUnreachableError || error instanceof FeedRejectedError) return error;
    throw error;
  }
}

/**
 * Records a new snapshot as `acceptSnapshot` decides (8): logs the flaps the damping cancelled,
 * archives the raw bytes (9, skipped when already there) and replaces the pointer, conditional on
 * the version read in 1 (10). Another ingest replacing it first is a lost race, not a failure.
 */
async function recordAccepted(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
  download: Omit<AcceptSnapshotInput, "now" | "grace" | "runId">,
  bytes: Uint8Array,
): Promise<FeedIngestResult> {
  const logger = deps.logger ?? silentFeedLogger;
  const accepted = acceptSnapshot({
    ...download,
    now: input.now,
    grace: input.options.grace,
    runId: input.runId,
  });
  const { meta } = accepted;
  if (accepted.cancelled.length > 0) {
    logger.info("flapping prefixes re-published within the grace period", {
      feed: meta.feed,
      prefixes: accepted.cancelled.map((p) => `${p.prefix} ${p.service} ${p.region}`),
    });
  }
  // 9.
  await deps.archive.putIfChanged(
    meta.archiveKey,
    bytes,
    "application/json",
    accepted.archiveMetadata,
  );
  // 10.
  try {
    await deps.pointers.put(accepted.pointer, accepted.expectedVersion);
  } catch (error) {
    if (!(error instanceof FeedPointerConflictError)) throw error;
    return lostRaceResult(meta.feed, await deps.pointers.get(meta.feed), meta);
  }
  return accepted.result;
}

/**
 * The feed did not change: writes what `confirmUnchanged` decides (confirmed current, validators
 * refreshed, pending removals advanced), conditional on the version read.
 */
async function recordUnchanged(
  deps: IngestFeedsDeps,
  input: IngestFeedsInput,
  pointer: FeedPointer,
  url: string,
  validators: { etag?: string; lastModified?: string },
  warning: { warning?: string },
): Promise<FeedIngestResult> {
  const confirmed = confirmUnchanged({
    pointer,
    url,
    validators,
    now: input.now,
    grace: input.options.grace,
    runId: input.runId,
    warning,
  });
  try {
    await deps.pointers.put(confirmed.pointer, pointer.version);
  } catch (error) {
    if (!(error instanceof FeedPointerConflictError)) throw error;
    // Another ingest moved the pointer on; it owns the damping from here.
    return unchangedAfterConflict(pointer, await deps.pointers.get(pointer.feed), warning);
  }
  return confirmed.result;
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
    snapshotArchiveMetadata(meta),
    { overwrite: true },
  );
}

/** Logs a feed's result (error level when not accepted, warn with a warning) and returns it. */
function logIngestResult(logger: FeedLogger, result: FeedIngestResult): FeedIngestResult {
  const fields = {
    feed: result.feed,
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
}
