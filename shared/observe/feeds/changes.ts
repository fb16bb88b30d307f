import { createHash } from "node:crypto";
import type { FeedDiff, FeedSnapshotMeta } from "#shared/domain/feed";
import type { UnjudgedFeedChange } from "./ports";
import { feedPrefixKey } from "./snapshot";

/**
 * The id of an accepted feed change: sha256 of the feed, the snapshot pair and the added and
 * removed prefixes (sorted keys; pending removals are evidence, not part of it). The same diff
 * always has the same id, so the compare step can mark exactly what it judged.
 */
export function feedChangeId(diff: Pick<FeedDiff, "feed" | "from" | "to" | "added" | "removed">) {
  const keys = (prefixes: FeedDiff["added"]) => prefixes.map(feedPrefixKey).sort();
  return createHash("sha256")
    .update(
      JSON.stringify([
        diff.feed,
        diff.from?.sha256 ?? null,
        diff.to.sha256,
        keys(diff.added),
        keys(diff.removed),
      ]),
    )
    .digest("hex");
}

/** The id of a diff that counts as a change (see `unjudgedChangeOf`), else null. */
export function countedChangeId(diff: FeedDiff | undefined): string | null {
  if (diff === undefined || diff.from === null) return null;
  if (diff.added.length === 0 && diff.removed.length === 0) return null;
  return feedChangeId(diff);
}

/**
 * What an ingest keeps on the pointer until the change is judged: null when there is nothing to
 * notify (a feed's first snapshot is a baseline; a diff with no counted addition or removal).
 */
export function unjudgedChangeOf(
  diff: FeedDiff | undefined,
  judging: { runId: string; acceptedAt: string },
): UnjudgedFeedChange | null {
  const changeId = countedChangeId(diff);
  if (diff === undefined || diff.from === null || changeId === null) return null;
  const from: FeedSnapshotMeta = diff.from;
  return {
    changeId,
    runId: judging.runId,
    acceptedAt: judging.acceptedAt,
    diff: { feed: diff.feed, from, to: diff.to, added: diff.added, removed: diff.removed },
  };
}

/**
 * A pointer's unjudged list with one more change, oldest first. A change already on it keeps
 * its place and its run id (the one a partial commit of it was made under).
 */
export function withUnjudgedChange(
  unjudged: readonly UnjudgedFeedChange[] | undefined,
  change: UnjudgedFeedChange | null,
): UnjudgedFeedChange[] {
  const list = [...(unjudged ?? [])];
  if (change === null || list.some((entry) => entry.changeId === change.changeId)) return list;
  return [...list, change];
}

/** The run that judges what an ingest accepts: the one given, else `feeds-<now ISO>`. */
export function judgingRunId(runId: string | undefined, now: Date): string {
  return runId ?? `feeds-${now.toISOString()}`;
}
