import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import type { RunJudgements } from "#shared/observe/dns/observation-store";
import {
  loadCurrentRanges,
  type UnreadableSnapshotLogger,
} from "#shared/observe/feeds/load-matchers";
import type { FeedPointerStore } from "#shared/observe/feeds/ports";
import { type Catalogues, judgeEachCatalogue } from "./catalogues";
import type { JudgeDrift, JudgeDriftResult } from "./judge-drift";

/**
 * The compare step of the `resolve-hostnames` function. It runs apart from `ingest-feeds` in
 * AWS (see judge-feed-ingest.ts); between them they judge what one detection cycle
 * (detection-cycle.ts) judges, each verdict once: a DNS run its IP changes, failures and
 * suspicious answers, with the current feed ranges.
 */
export interface JudgeDnsRunDeps {
  archive: ObjectArchive;
  feedPointers: FeedPointerStore;
  runs: Pick<RunJudgements, "markRunJudged">;
  judgeDrift: JudgeDrift;
  /** Where an unreadable archived feed snapshot is reported (with its key). */
  logger?: UnreadableSnapshotLogger;
}

/**
 * After a DNS run:
 * 1. Load the current range matchers (the last good snapshot of each feed).
 * 2. Per catalogue, in order: compare its hostnames' observations, commit its change events,
 *    rewrite its changed allowlists.
 * 3. Mark the run judged, once every catalogue was judged. Until then the next cycle finds it
 *    unjudged and judges it first, for all of them (judge-unjudged.ts): a crash between saving
 *    the observations and committing their events loses nothing.
 *
 * No feed results: feed events are the ingest's. The verdicts are dated at the run's observation
 * time (the first attempt's, for a retried run), so a redelivered run judges exactly what the
 * first delivery judged: same event ids, nothing new committed.
 */
export async function judgeDnsRun(
  deps: JudgeDnsRunDeps,
  input: { catalogue: Catalogues; observations: HostObservation[]; runId: string; now: Date },
): Promise<JudgeDriftResult> {
  // 1.
  const { matchers, unreadable } = await loadCurrentRanges({
    archive: deps.archive,
    pointers: deps.feedPointers,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  // 2.
  const observedAt = input.observations[0]?.observedAt;
  const drift = await judgeEachCatalogue(deps.judgeDrift, input.catalogue, {
    observations: input.observations,
    feeds: { results: [], matchers, unreadable: unreadable.map((error) => error.feed) },
    now: observedAt === undefined ? input.now : new Date(observedAt),
    runId: input.runId,
  });
  // 3.
  await deps.runs.markRunJudged(input.runId);
  return drift;
}
