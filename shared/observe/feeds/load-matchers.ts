import type { FeedId, RangeMatcher } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/stores/s3/object-archive";
import { loadArchivedSnapshot } from "./archive";
import { createRangeMatcher } from "./matcher";
import type { FeedPointerStore } from "./ports";

/**
 * A matcher per feed that has a current snapshot, built from the current pointer and the
 * archived bytes. Prefixes whose removal is still inside the flap-damping grace period are
 * included: until the removal counts, the range is still treated as published. Feeds without a
 * snapshot are absent from the map. Throws `FeedArchiveError` when a pointer names an archived
 * snapshot that cannot be read back.
 */
export async function loadCurrentRangeMatchers(deps: {
  archive: ObjectArchive;
  pointers: FeedPointerStore;
  feeds?: readonly FeedId[];
}): Promise<Map<FeedId, RangeMatcher>> {
  const feeds = deps.feeds ?? (["aws-ip-ranges", "cloudfront"] as const);
  const matchers = new Map<FeedId, RangeMatcher>();
  await Promise.all(
    feeds.map(async (feed) => {
      const pointer = await deps.pointers.get(feed);
      if (pointer === null) return;
      const snapshot = await loadArchivedSnapshot(deps.archive, pointer.meta);
      const pending = pointer.damping.pending.map((entry) => entry.prefix);
      matchers.set(feed, createRangeMatcher(pointer.meta, [...snapshot.prefixes, ...pending]));
    }),
  );
  return matchers;
}
