import type { FeedId, FeedIngestResult } from "#shared/domain/feed";

/**
 * A feed download that failed verification (HTML page, truncated or corrupt body, empty list,
 * collapsed counts, invalid CIDR, wrong md5, oversized body, redirect loop, a 4xx). The last good
 * snapshot stays current.
 */
export class FeedRejectedError extends Error {
  override readonly name = "FeedRejectedError";
  constructor(
    readonly feed: FeedId,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`feed ${feed} rejected: ${reason}`, options);
  }
}

/** The feed could not be reached (DNS failure, connection refused, timeout, a 5xx). */
export class FeedUnreachableError extends Error {
  override readonly name = "FeedUnreachableError";
  constructor(
    readonly feed: FeedId,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`feed ${feed} unreachable: ${reason}`, options);
  }
}

/** A feed environment variable is missing or malformed; the message names it. */
export class FeedConfigError extends Error {
  override readonly name = "FeedConfigError";
  constructor(
    readonly variable: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${reason}`, options);
  }
}

/** Another ingest replaced the current pointer between our read and our write. */
export class FeedPointerConflictError extends Error {
  override readonly name = "FeedPointerConflictError";
  constructor(
    readonly feed: FeedId,
    options?: { cause?: unknown },
  ) {
    super(`feed ${feed}: the current pointer changed since it was read`, options);
  }
}

/** The current pointer names an archived snapshot that cannot be read back. */
export class FeedArchiveError extends Error {
  override readonly name = "FeedArchiveError";
  constructor(
    readonly feed: FeedId,
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`feed ${feed}: archived snapshot ${key} ${reason}`, options);
  }
}

/**
 * Some feeds could not be ingested because of an infrastructure failure (store, archive), not a
 * bad feed. Carries the results of the feeds that did complete, so nothing is lost.
 */
export class FeedIngestIncompleteError extends Error {
  override readonly name = "FeedIngestIncompleteError";
  constructor(
    readonly results: readonly FeedIngestResult[],
    readonly failures: readonly { feed: FeedId; error: unknown }[],
  ) {
    super(
      `feed ingest failed for ${failures
        .map(
          ({ feed, error }) =>
            `${feed} (${error instanceof Error ? error.message : String(error)})`,
        )
        .join(", ")}`,
      { cause: failures[0]?.error },
    );
  }
}

/**
 * A run in which some feeds were rejected or unreachable (the last good snapshots stay current).
 * The Lambda throws it after logging, so retries and alarms fire; it carries every result.
 */
export class FeedIngestFailedError extends Error {
  override readonly name = "FeedIngestFailedError";
  constructor(readonly results: readonly FeedIngestResult[]) {
    super(
      results
        .filter((result) => result.status === "rejected" || result.status === "unreachable")
        .map((result) => result.reason ?? `feed ${result.feed} ${result.status}`)
        .join("; "),
    );
  }
}
