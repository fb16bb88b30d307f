/**
 * What the IP-range feeds published: the contract between observe (feeds) and compare.
 */

export type FeedId = "aws-ip-ranges" | "cloudfront";

export interface FeedPrefix {
  prefix: string;
  family: 4 | 6;
  /** `AMAZON`, `EC2`, `CLOUDFRONT`, ...; for the CloudFront list: `CLOUDFRONT_GLOBAL` / `CLOUDFRONT_REGIONAL_EDGE`. */
  service: string;
  /** `GLOBAL` when the feed has no region. */
  region: string;
  networkBorderGroup: string;
}

export interface FeedSnapshotMeta {
  feed: FeedId;
  sha256: string;
  /** ip-ranges.json only. */
  syncToken?: string;
  createDate?: string;
  fetchedAt: string;
  /** URL it was fetched from. */
  source: string;
  /** Where the raw bytes are archived, e.g. `feeds/aws-ip-ranges/<sha256>.json`. */
  archiveKey: string;
  prefixCount: { v4: number; v6: number };
}

export interface FeedDiff {
  feed: FeedId;
  from: FeedSnapshotMeta | null;
  to: FeedSnapshotMeta;
  /** After flap damping: a removal counts only after its grace period. */
  added: FeedPrefix[];
  removed: FeedPrefix[];
  /** Removals still inside their grace period (evidence; they do not count yet). */
  pendingRemovals?: FeedPrefix[];
}

/** Answers "which published ranges contain this IP"; built once per snapshot. */
export interface RangeMatcher {
  readonly feed: FeedId;
  readonly meta: FeedSnapshotMeta;
  contains(ip: string): FeedPrefix[];
  /**
   * Every prefix of the snapshot, for the allowlists (which list the published ranges a policy
   * names). Optional: without it, allowlists of cloudfront / aws-ip-ranges endpoints list the
   * observed IPs only.
   */
  readonly prefixes?: readonly FeedPrefix[];
}

export type FeedIngestStatus =
  | "updated"
  | "unchanged"
  | "stale-ignored"
  | "rejected"
  | "unreachable";

export interface FeedIngestResult {
  feed: FeedId;
  status: FeedIngestStatus;
  /** Why a feed was rejected or unreachable, naming the feed and the reason. */
  reason?: string;
  /** The current accepted snapshot (the last good one when this fetch failed), if any. */
  current: FeedSnapshotMeta | null;
  /**
   * The stored current snapshot could not be read back from the archive (missing, or not the
   * snapshot the pointer names): names the feed, the archive key and what the ingest did about it
   * (restored it, accepted a new baseline, or left the feed without ranges for this run).
   */
  warning?: string;
  /** When `current` was last confirmed current (accepted, or unchanged by ETag/hash). */
  confirmedAt?: string;
  /**
   * What changed, after flap damping. On `updated` (`from` null for a feed's first snapshot, a
   * baseline); also on `unchanged` when a pending removal came due (`from` = `to` = current).
   */
  diff?: FeedDiff;
}
