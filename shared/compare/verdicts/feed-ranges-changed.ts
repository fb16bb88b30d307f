import { describePorts } from "#shared/allowlists/build";
import {
  describeRelevance,
  endpointFeedRelevance,
  type FeedRelevance,
  isPrefixRelevantToAny,
  prefixChangesRelevantToAny,
} from "#shared/allowlists/feed-relevance";
import type { HeldGroup } from "#shared/allowlists/held";
import { allowlistSizeWarnings } from "#shared/allowlists/limits";
import { withWithdrawn } from "#shared/allowlists/stranded";
import { sortAddresses } from "#shared/domain/addresses";
import type { FeedDiff, FeedId, FeedPrefix } from "#shared/domain/feed";
import { feedPrefixKey } from "#shared/observe/feeds/snapshot";
import type { DriftEvent } from "../drift-event";
import { count, list, shortHash, snapshotsOf } from "../wording";
import { changedPrefix, feedResultEvidence } from "./evidence";
import type { FeedCase } from "./feed-case";

/**
 * The prefixes a feed diff of this run added or removed in the ranges a group relies on. A diff
 * comes with a new snapshot, or with `unchanged` when a damped removal came due. The first
 * snapshot of a feed is the baseline, not a change.
 */
export function feedRangesChanged(f: FeedCase): DriftEvent[] {
  const { result, group } = f;
  const diff = result.diff;
  if (result.status === "rejected" || group === null) return [];
  if (diff === undefined || diff.from === null) return [];
  const relevant = relevantChanges(f, diff);
  if (relevant.added.length === 0 && relevant.removed.length === 0) return [];
  const added = sortAddresses(relevant.added.map((p) => p.prefix));
  const removed = sortAddresses(relevant.removed.map((p) => p.prefix));
  const allowlist = f.run.allowlists.get(group);
  const rule = `firewall rule ${group} (${describePorts(f.endpoints.flatMap((e) => e.ports))})`;
  const changes = [
    added.length > 0 ? `add ${count(added, "prefix", "prefixes")} (${list(added)})` : null,
    removed.length > 0 ? `remove ${count(removed, "prefix", "prefixes")} (${list(removed)})` : null,
  ].filter((c) => c !== null);
  return [
    f.emit({
      type: "feed-ranges-changed",
      severity: added.length > 0 ? "high" : "medium",
      added,
      removed,
      evidence: {
        feed: feedResultEvidence(result),
        prefixes: [
          ...relevant.added.map((p) => changedPrefix(p, "added")),
          ...relevant.removed.map((p) => changedPrefix(p, "removed")),
        ],
      },
      reason:
        (diff.from.sha256 === diff.to.sha256
          ? `Prefixes withdrawn from the ${f.feedName} stayed withdrawn for their grace period ` +
            `(snapshot ${shortHash(diff.to.sha256)})`
          : `The ${f.feedName} changed (${shortHash(diff.from.sha256)} -> ` +
            `${shortHash(diff.to.sha256)})`) +
        ` in the ranges ${group} relies on (${describeRelevance(relevant.relevances)}).`,
      action: feedChangeAction(rule, changes, group, result.feed, f.run.held.get(group)),
      warnings:
        added.length > 0 && allowlist !== undefined
          ? allowlistSizeWarnings(allowlist, f.run.limits)
          : [],
      cause: { from: diff.from.sha256, to: diff.to.sha256 },
    }),
  ];
}

/**
 * The diff's prefixes that matter to the group's endpoints (judged on what the hosts relied on:
 * the current matcher plus the withdrawn prefixes). A prefix that only moved to another list,
 * service or border group the group relies on changes nothing in the firewall: neither "add" it
 * again nor "remove" it.
 */
function relevantChanges(
  f: FeedCase,
  diff: FeedDiff,
): { added: FeedPrefix[]; removed: FeedPrefix[]; relevances: FeedRelevance[] } {
  const current = f.run.input.feeds.matchers.get(f.result.feed);
  const matcher = withWithdrawn(current, diff);
  const addedKeys = new Set(diff.added.map(feedPrefixKey));
  const relevances = f.endpoints
    .map((e) => endpointFeedRelevance(e, f.run.observations.get(e.hostname ?? ""), matcher))
    .filter((relevance): relevance is FeedRelevance => relevance !== null);
  const publishedOtherwise = (prefix: FeedPrefix) =>
    (current?.contains(prefix.prefix.split("/")[0] ?? "") ?? []).some(
      (other) =>
        other.prefix === prefix.prefix &&
        feedPrefixKey(other) !== feedPrefixKey(prefix) &&
        !addedKeys.has(feedPrefixKey(other)) &&
        isPrefixRelevantToAny(other, relevances),
    );
  const changed = prefixChangesRelevantToAny(diff, relevances);
  return {
    added: changed.added.filter((prefix) => !publishedOtherwise(prefix)),
    removed: changed.removed.filter((prefix) => !publishedOtherwise(prefix)),
    relevances,
  };
}

function feedChangeAction(
  rule: string,
  changes: string[],
  group: string,
  feed: FeedId,
  hold: HeldGroup | undefined,
): string {
  const file = `allowlists/${group}.txt`;
  if (hold !== undefined && (hold.keptAsWritten || hold.feeds.includes(feed))) {
    return (
      `In ${rule}: ${changes.join("; ")}. ${file} may not have the change: ` +
      `${hold.keptAsWritten ? "it is kept as last written" : "it keeps the last known published ranges"} ` +
      `while ${snapshotsOf(hold.feeds)} cannot be read.`
    );
  }
  return (
    `In ${rule}: ${changes.join("; ")}, or point the rule at the allowlist file ` +
    `${file}, which already has the change.`
  );
}
