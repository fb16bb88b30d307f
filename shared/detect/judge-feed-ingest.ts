import type { FeedIngestResult } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import type { VendorDocumentCheck } from "#shared/domain/vendor-document";
import { AFTER_EVERY_RUN, type ObservationStore } from "#shared/observe/dns/observation-store";
import { countedChangeId } from "#shared/observe/feeds/changes";
import {
  loadCurrentRanges,
  type UnreadableSnapshotLogger,
} from "#shared/observe/feeds/load-matchers";
import type { FeedChangeJudgements, FeedPointerStore } from "#shared/observe/feeds/ports";
import type { CatalogueSource } from "./catalogue-source";
import { loadCatalogues, mergeDriftResults, observationsOf, unionHostnames } from "./catalogues";
import type { JudgeDrift, JudgeDriftResult } from "./judge-drift";

/**
 * The compare step of the `ingest-feeds` function. It runs apart from `resolve-hostnames` in AWS
 * (see judge-dns-run.ts); between them they judge what one detection cycle (detection-cycle.ts)
 * judges, each verdict once: a feed ingest the feed changes and rejections, over the DNS state
 * as the last run left it.
 */
export interface JudgeFeedIngestDeps {
  archive: ObjectArchive;
  feedPointers: FeedPointerStore & FeedChangeJudgements;
  observations: Pick<ObservationStore, "previousObservations">;
  catalogues: CatalogueSource;
  judgeDrift: JudgeDrift;
  /** Where an unreadable archived feed snapshot is reported (with its key). */
  logger?: UnreadableSnapshotLogger;
}

/**
 * After the compare step committed what ingests accepted: takes each counted change (see
 * `countedChangeId`) off its feed's unjudged list.
 */
export async function markFeedResultsJudged(
  pointers: FeedChangeJudgements,
  results: readonly FeedIngestResult[],
): Promise<void> {
  for (const result of results) {
    const changeId = countedChangeId(result.diff);
    if (changeId !== null) await pointers.markChangesJudged(result.feed, [changeId]);
  }
}

/**
 * Whether an ingest has something to judge: a new snapshot (new ranges for the allowlists, maybe
 * a relevant change), a rejected download, or a damped removal that came due on an `unchanged`
 * feed. Unreachable, stale-ignored and plain unchanged feeds change nothing.
 */
export function feedResultsToJudge(results: readonly FeedIngestResult[]): boolean {
  return results.some(
    (result) =>
      result.status === "updated" ||
      result.status === "rejected" ||
      (result.diff !== undefined &&
        (result.diff.added.length > 0 || result.diff.removed.length > 0)),
  );
}

/**
 * A hostname's state as its last run left it, without that run's transitions: the IPs that
 * entered or left in it were judged by the run itself (its events are keyed by its run id), so a
 * later judge must not raise them again. `left` IPs are already among `departed`.
 */
export function standingObservation(observation: HostObservation): HostObservation {
  return { ...observation, entered: [], left: [] };
}

/**
 * After a feed ingest:
 * 1. Nothing to judge (see `feedResultsToJudge`; nor a changed vendor document): null, nothing
 *    read or written.
 * 2. Read every catalogue (one missing: fail, judging nothing) and the current state of each
 *    hostname of their union (`AFTER_EVERY_RUN`, in batches), as standing state.
 * 3. Load the current range matchers (the new snapshot, or the last good one after a rejection).
 * 4. Per catalogue, in turn (its own hostnames and vendor document): compare, commit the change events (feed-ranges-changed, feed-rejected, and standing
 *    conditions such as resolution-failed that no run has committed yet), rewrite changed
 *    allowlists (a feed change moves the published ranges they list).
 * 5. After the last catalogue, mark the ingests' changes judged. Until then they stay on their pointers' unjudged lists and
 *    the next cycle judges them first (judge-unjudged.ts): the pointer moved on before the commit,
 *    so a crash in between would otherwise lose the change.
 */
export async function judgeFeedIngest(
  deps: JudgeFeedIngestDeps,
  input: {
    /** The catalogues watched (DRIFTWATCH_CATALOGUE_IDS), judged in this order. */
    catalogueIds: readonly string[];
    results: FeedIngestResult[];
    runId: string;
    now: Date;
    /** The scheduled checks of the vendors' documents, each judged with its catalogue. */
    documents?: readonly VendorDocumentCheck[];
  },
): Promise<JudgeDriftResult | null> {
  // 1.
  const documentChanged = (input.documents ?? []).some((check) => check.status === "changed");
  if (!feedResultsToJudge(input.results) && !documentChanged) return null;
  // 2.
  const catalogues = await loadCatalogues(deps.catalogues, input.catalogueIds);
  // Every hostname's current state, in batches (at 10,000 hostnames, one query each took 10,000
  // queries for every feed change).
  const current = await deps.observations.previousObservations(
    unionHostnames(catalogues),
    AFTER_EVERY_RUN,
  );
  const observations = [...current.values()].map(standingObservation);
  // 3.
  const { matchers, unreadable } = await loadCurrentRanges({
    archive: deps.archive,
    pointers: deps.feedPointers,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  // 4.
  const judged: JudgeDriftResult[] = [];
  for (const catalogue of catalogues) {
    const documents = input.documents?.filter((check) => check.catalogueId === catalogue.id);
    judged.push(
      await deps.judgeDrift({
        catalogue,
        observations: observationsOf(catalogue, observations),
        feeds: { results: input.results, matchers, unreadable: unreadable.map((e) => e.feed) },
        now: input.now,
        runId: input.runId,
        ...(documents === undefined ? {} : { documents }),
      }),
    );
  }
  const drift = mergeDriftResults(judged);
  // 5.
  await markFeedResultsJudged(deps.feedPointers, input.results);
  return drift;
}

/**
 * The run id of a feed ingest, from what triggered it, so that a redelivered trigger gets the
 * same id: an AmazonIpSpaceChanged notification by the syncToken it announces (SNS redelivers
 * the same message; a duplicate notification of the same version is the same run), a schedule
 * by its scheduled time to the minute (Lambda retries an asynchronous event unchanged).
 *
 * Feed event ids do not depend on the run id (they hash the snapshot pair or the rejection and
 * the last good snapshot), so a retried ingest raises the same ids whatever its id; the run id
 * lets a retry after a partial commit finish the change sets the first attempt started.
 */
export function feedRunIdFor(trigger: { syncToken: string } | { scheduledTime: Date }): string {
  if ("syncToken" in trigger) return `feeds-sync-${trigger.syncToken}`;
  const time = trigger.scheduledTime.getTime();
  if (Number.isNaN(time)) throw new RangeError("scheduledTime is not a valid date");
  return `feeds-${new Date(time).toISOString().slice(0, 16)}Z`;
}
