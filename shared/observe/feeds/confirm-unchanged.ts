import type { FeedIngestResult } from "#shared/domain/feed";
import { judgingRunId, unjudgedChangeOf, withUnjudgedChange } from "./changes";
import { dampFeedChanges, type FeedGrace } from "./damping";
import type { FeedPointer } from "./ports";

export interface ConfirmUnchangedInput {
  pointer: FeedPointer;
  /** The configured URL (the validators belong to it). */
  url: string;
  /** Validators of this download, if any (a 304 has none): they replace the stored ones. */
  validators: { etag?: string; lastModified?: string };
  now: Date;
  grace: FeedGrace;
  runId: string | undefined;
  /** Carried onto the result (the current snapshot could not be read back). */
  warning: { warning?: string };
}

/** What confirming an unchanged feed writes, decided purely. */
export interface ConfirmedUnchanged {
  /** The pointer to write, conditional on the current pointer's version. */
  pointer: FeedPointer;
  /** The `unchanged` result once it is written, with the removals that came due, if any. */
  result: FeedIngestResult;
}

/**
 * The feed did not change: it was confirmed current, the validators are refreshed and pending
 * removals advance (a removal can come due on an unchanged feed; it is then a change to judge).
 */
export function confirmUnchanged(input: ConfirmUnchangedInput): ConfirmedUnchanged {
  const { pointer, validators } = input;
  const { feed, meta } = pointer;
  const now = input.now.toISOString();
  const damped = dampFeedChanges({
    state: pointer.damping,
    changes: { added: [], removed: [] },
    now: input.now,
    grace: input.grace,
  });
  const etag = validators.etag ?? pointer.etag;
  const lastModified = validators.lastModified ?? pointer.lastModified;
  const due = unjudgedChangeOf(
    { feed, from: meta, to: meta, added: [], removed: damped.removed },
    { runId: judgingRunId(input.runId, input.now), acceptedAt: now },
  );
  const next: FeedPointer = {
    ...pointer,
    version: pointer.version + 1,
    url: input.url,
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    damping: damped.state,
    confirmedAt: now,
    updatedAt: now,
    unjudged: withUnjudgedChange(pointer.unjudged, due),
  };
  const result: FeedIngestResult = {
    feed,
    status: "unchanged",
    ...input.warning,
    current: meta,
    confirmedAt: now,
  };
  if (damped.removed.length === 0) return { pointer: next, result };
  return {
    pointer: next,
    result: {
      ...result,
      diff: {
        feed,
        from: meta,
        to: meta,
        added: [],
        removed: damped.removed,
        pendingRemovals: damped.state.pending.map((entry) => entry.prefix),
      },
    },
  };
}

/**
 * The result when another ingest moved the pointer on first (`latest`, read again): still
 * `unchanged`, and that ingest owns the damping from here.
 */
export function unchangedAfterConflict(
  pointer: FeedPointer,
  latest: FeedPointer | null,
  warning: { warning?: string },
): FeedIngestResult {
  return {
    feed: pointer.feed,
    status: "unchanged",
    ...warning,
    current: latest?.meta ?? pointer.meta,
    confirmedAt: latest?.confirmedAt ?? pointer.confirmedAt,
  };
}
