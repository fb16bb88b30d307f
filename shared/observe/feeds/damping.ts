import type { FeedPrefix } from "#shared/domain/feed";
import { compareFeedPrefixes, type PrefixChanges } from "./diff";
import { feedPrefixKey } from "./snapshot";

/**
 * Flap damping for feed prefixes. AWS withdraws and re-publishes some prefixes again and again
 * (`1.178.86.0/24` hundreds of times in two months), so a removal only counts once the prefix has
 * stayed absent for the whole grace period: at least `runs` ingests AND at least `hours`. A
 * prefix re-published within the grace cancels its pending removal (and is not reported as
 * added, since its removal never was). Additions count at once.
 */
export interface FeedGrace {
  /** Ingests in a row that must see the prefix absent (the one that first saw it included). */
  runs: number;
  /** Hours since the first ingest that saw it absent. */
  hours: number;
}

export const DEFAULT_FEED_GRACE: FeedGrace = { runs: 3, hours: 6 };

/** A removal waiting for its grace period to pass. */
export interface PendingRemoval {
  prefix: FeedPrefix;
  /** ISO time of the first ingest that saw the prefix absent. */
  since: string;
  /** Ingests that have seen it absent so far. */
  runs: number;
}

export interface FeedDampingState {
  pending: PendingRemoval[];
}

export const EMPTY_DAMPING_STATE: FeedDampingState = { pending: [] };

export interface DampedChanges {
  /** Additions that count (new prefixes, not flaps coming back). */
  added: FeedPrefix[];
  /** Removals whose grace period has passed in this ingest. */
  removed: FeedPrefix[];
  /** Pending removals cancelled because the prefix was published again. */
  cancelled: FeedPrefix[];
  /** The state to store for the next ingest. */
  state: FeedDampingState;
}

/**
 * Applies one ingest to the damping state. `changes` is the raw diff between the previous
 * accepted snapshot and the current one (empty when the feed did not change: the ingest still
 * counts as a run that saw the pending prefixes absent). Pure: time is the parameter `now`.
 */
export function dampFeedChanges(input: {
  state: FeedDampingState;
  changes: PrefixChanges;
  now: Date;
  grace: FeedGrace;
}): DampedChanges {
  const { state, changes, now, grace } = input;
  const nowIso = now.toISOString();
  const pending = new Map<string, PendingRemoval>();
  for (const entry of state.pending) {
    pending.set(feedPrefixKey(entry.prefix), { ...entry, runs: entry.runs + 1 });
  }

  const added: FeedPrefix[] = [];
  const cancelled: FeedPrefix[] = [];
  for (const prefix of changes.added) {
    const key = feedPrefixKey(prefix);
    if (pending.delete(key)) cancelled.push(prefix);
    else added.push(prefix);
  }
  for (const prefix of changes.removed) {
    pending.set(feedPrefixKey(prefix), { prefix, since: nowIso, runs: 1 });
  }

  const removed: FeedPrefix[] = [];
  const stillPending: PendingRemoval[] = [];
  const graceMs = grace.hours * 3_600_000;
  for (const entry of pending.values()) {
    const absentMs = now.getTime() - Date.parse(entry.since);
    if (entry.runs >= grace.runs && absentMs >= graceMs) removed.push(entry.prefix);
    else stillPending.push(entry);
  }
  stillPending.sort((a, b) => compareFeedPrefixes(a.prefix, b.prefix));
  return {
    added: added.sort(compareFeedPrefixes),
    removed: removed.sort(compareFeedPrefixes),
    cancelled: cancelled.sort(compareFeedPrefixes),
    state: { pending: stillPending },
  };
}
