import type { FeedId } from "#shared/domain/feed";
import { FeedRejectedError } from "./errors";
import type { FeedPointer } from "./ports";
import type { IpSpaceChangedNotification } from "./schema";
import {
  checkNotFromTheFuture,
  checkNotificationMd5,
  checkPrefixCounts,
  type FeedSnapshot,
  parseFeedSnapshot,
} from "./snapshot";
import { type StoredVersion, staleVersionReason } from "./stored-version";

export interface DownloadContext {
  feed: FeedId;
  /** The current pointer, null for a feed without a snapshot. */
  pointer: FeedPointer | null;
  stored: StoredVersion;
  /** From AmazonIpSpaceChanged, for `aws-ip-ranges` only. */
  notification: IpSpaceChangedNotification | undefined;
  now: Date;
  toleranceSeconds: number;
  /** Reject a snapshot with fewer than this share of the previous one's prefixes (per family). */
  minPrefixRatio: number;
}

export type DownloadVerdict = (
  | { verdict: "rejected"; error: FeedRejectedError }
  /** The same sha256 as the current snapshot. */
  | { verdict: "current"; pointer: FeedPointer }
  | { verdict: "stale"; reason: string }
  | { verdict: "new"; snapshot: FeedSnapshot }
) & {
  /** The notification describes another version: its md5 says nothing about these bytes. */
  otherVersionNotified?: { notified: string; fetched: string | undefined };
};

/**
 * What to do with downloaded bytes (pure; steps 4 to 7 of `ingestFeeds`):
 * 4. parse and verify them (JSON not HTML, not truncated, schema, CIDRs, no empty list, not
 *    dated more than the tolerance after `now`), else `rejected`;
 * 5. the same sha256 as the current snapshot: `current`;
 * 6. ip-ranges: md5 against the notification for that syncToken (a mismatch is `rejected`); a
 *    syncToken not newer than the stored one is `stale`;
 * 7. a collapsed prefix count against the current snapshot is `rejected`; otherwise `new`.
 * Errors other than `FeedRejectedError` are thrown.
 */
export function judgeDownload(
  fetched: { bytes: Uint8Array; contentType?: string },
  context: DownloadContext,
): DownloadVerdict {
  const { feed, pointer, notification } = context;
  let otherVersionNotified: DownloadVerdict["otherVersionNotified"];
  const noted = (verdict: DownloadVerdict): DownloadVerdict =>
    otherVersionNotified === undefined ? verdict : { ...verdict, otherVersionNotified };
  try {
    // 4.
    const snapshot = parseFeedSnapshot(feed, fetched.bytes, {
      ...(fetched.contentType !== undefined ? { contentType: fetched.contentType } : {}),
    });
    checkNotFromTheFuture(snapshot, context.now, context.toleranceSeconds);
    // 5.
    if (pointer !== null && snapshot.sha256 === pointer.meta.sha256) {
      return { verdict: "current", pointer };
    }
    // 6.
    const md5 = checkNotificationMd5(snapshot, notification);
    if (notification !== undefined && md5 === "not-applicable") {
      otherVersionNotified = { notified: notification.syncToken, fetched: snapshot.syncToken };
    }
    const stale = staleVersionReason("fetched", snapshot.syncToken, context.stored);
    if (stale !== null) return noted({ verdict: "stale", reason: stale });
    // 7.
    checkPrefixCounts(
      feed,
      snapshot.prefixCount,
      pointer?.meta.prefixCount ?? null,
      context.minPrefixRatio,
    );
    return noted({ verdict: "new", snapshot });
  } catch (error) {
    if (error instanceof FeedRejectedError) return noted({ verdict: "rejected", error });
    throw error;
  }
}
