import type { FeedId, FeedIngestResult, FeedSnapshotMeta } from "#shared/domain/feed";
import { compareSyncTokens, isFutureSyncToken } from "./snapshot";

/**
 * The version an ingest orders new ones against: the current snapshot's syncToken, unless it lies
 * more than the tolerance after `now` (accepted before versions were checked against the clock).
 * Such a token is not used, so a genuine version replaces it, and `warning` says so.
 */
export interface StoredVersion {
  /** A new version must be newer than this; undefined: no version is stale. */
  syncToken: string | undefined;
  warning: string | undefined;
}

export function storedVersion(
  feed: FeedId,
  current: FeedSnapshotMeta | null,
  now: Date,
  toleranceSeconds: number,
): StoredVersion {
  const token = current?.syncToken;
  if (token === undefined || !isFutureSyncToken(token, now, toleranceSeconds)) {
    return { syncToken: token, warning: undefined };
  }
  return {
    syncToken: undefined,
    warning:
      `feed ${feed}: the stored syncToken ${token} is more than ${toleranceSeconds} s after now ` +
      `(${now.toISOString()}); it is not used to order versions`,
  };
}

/**
 * Why a version (a notification's, or a fetched snapshot's) is stale: its syncToken is not newer
 * than the stored one. Null when it is newer, or when either has no syncToken.
 */
export function staleVersionReason(
  what: "notification" | "fetched",
  syncToken: string | undefined,
  stored: StoredVersion,
): string | null {
  if (syncToken === undefined || stored.syncToken === undefined) return null;
  if (compareSyncTokens(syncToken, stored.syncToken) > 0) return null;
  return `${what} syncToken ${syncToken} is not newer than the stored ${stored.syncToken}`;
}

/** The result with the stored version's warning appended to its own, if there is one. */
export function withVersionWarning(
  result: FeedIngestResult,
  stored: StoredVersion,
): FeedIngestResult {
  if (stored.warning === undefined) return result;
  return {
    ...result,
    warning: result.warning === undefined ? stored.warning : `${result.warning}; ${stored.warning}`,
  };
}
