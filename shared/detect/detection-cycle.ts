import { assertUniqueGroups } from "#shared/catalogue/deployment-groups";
import type { Catalogue } from "#shared/catalogue/schema";
import type { FeedId, FeedIngestResult, RangeMatcher } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import type { VendorDocumentCheck } from "#shared/domain/vendor-document";
import type {
  ObservationQueries,
  ObservationStore,
  RunJudgements,
  RunLeaseQueries,
} from "#shared/observe/dns/observation-store";
import { type RunLogger, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import { targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { type FeedIngestOptions, ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { loadCurrentRanges } from "#shared/observe/feeds/load-matchers";
import type {
  FeedChangeJudgements,
  FeedFetcher,
  FeedLogger,
  FeedPointerStore,
} from "#shared/observe/feeds/ports";
import {
  checkVendorDocument,
  markVendorDocumentJudged,
  type VendorDocumentCheckResult,
} from "#shared/observe/vendor-document/check-vendor-document";
import type { DocumentFetcher } from "#shared/observe/vendor-document/ports";
import { archiveRunHistory } from "#shared/record/history-archive";
import { type Catalogues, catalogueList, mergeDriftResults, observationsOf } from "./catalogues";
import type { JudgeDrift, JudgeDriftResult } from "./judge-drift";
import { markFeedResultsJudged } from "./judge-feed-ingest";
import { type JudgedBacklog, judgeUnjudged } from "./judge-unjudged";
import type { RunObservationsReader } from "./sharded-run/complete-run";
import { resolveShardsInProcess } from "./sharded-run/resolve-shards-in-process";

export interface DetectionCycleDeps {
  resolver: DnsResolver;
  observations: ObservationStore &
    RunJudgements &
    RunLeaseQueries &
    Pick<ObservationQueries, "latestObservations"> &
    RunObservationsReader;
  fetcher: FeedFetcher;
  archive: ObjectArchive;
  feedPointers: FeedPointerStore & FeedChangeJudgements;
  /** The compare → record → publish step, injected so the cycle stays free of its adapters. */
  judgeDrift: JudgeDrift;
  /**
   * Downloads the vendor's document when the catalogue names one (`document.source.url`);
   * without it the document is not checked.
   */
  documentFetcher?: DocumentFetcher;
  /** Structured logging (Powertools' Logger fits); silent when omitted. */
  logger?: RunLogger & FeedLogger;
  clock?: () => number;
}

export type CycleStage =
  | { stage: "resolve"; done: number; total: number }
  | { stage: "feeds"; done: number; total: number }
  | { stage: "compare" };

export interface DetectionCycleInput {
  /**
   * The catalogue, or a deployment's several (catalogues.ts): their hostnames resolved once,
   * each catalogue judged on its own. Their group names must be unique (deployment-groups.ts).
   */
  catalogue: Catalogues;
  /** The cycle holds the store alone (the local state directory): see `judgeUnjudged`. */
  exclusiveStore?: boolean;
  runId: string;
  now: Date;
  /** Epoch ms: no DNS query after it. */
  deadline: number;
  feeds: { id: FeedId; url: string }[];
  resolveOptions?: Partial<ResolveOptions>;
  feedOptions: FeedIngestOptions;
  /**
   * Resolve the run in shards, in this process (the use cases the sharded AWS run uses): at
   * least `count` shards of at most `maxShardSize` hostnames, `concurrency` at a time (default 1).
   * Without it, one resolveHostnames call covers the catalogue.
   */
  shards?: { count: number; maxShardSize?: number; concurrency?: number };
  /**
   * Called at each stage boundary, synchronously from the cycle: a callback that throws stops the
   * cycle there (the CLI stops an interrupted run before "compare", so it commits nothing).
   */
  onProgress?: (stage: CycleStage) => void;
}

export interface DetectionCycleResult {
  runId: string;
  startedAt: string;
  durationMs: number;
  /** The first (or only) catalogue; `catalogues` has each one's own part of the run. */
  catalogue: Catalogue;
  /** Per catalogue, in the order given: its hostnames' observations, its drift, its document. */
  catalogues: CatalogueCycleResult[];
  /** Every hostname of the run (the union of the catalogues'), each once. */
  observations: HostObservation[];
  /** The same run id had already been completed: its stored observations were used. */
  duplicateRun: boolean;
  feeds: FeedIngestResult[];
  /** The matcher of each feed with a current snapshot (the last good one after a failure). */
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  drift: JudgeDriftResult;
  /** Earlier runs an interrupted cycle left unjudged, judged by this one first (usually none). */
  backlog: JudgedBacklog[];
  /** The check of the vendor's document; absent when the catalogue names none. */
  document?: VendorDocumentCheck;
  /** The run's history archive object (`history/dt=…/<runId>.jsonl.gz`), null for an empty run. */
  historyArchive?: string | null;
}

/** One catalogue's part of a cycle. */
export interface CatalogueCycleResult {
  catalogue: Catalogue;
  /** The observations of the catalogue's own hostnames. */
  observations: HostObservation[];
  drift: JudgeDriftResult;
  document?: VendorDocumentCheck;
}

/**
 * One full detection cycle, as `driftwatch detect` runs it.
 *
 * Primary course:
 * 0. Judge what an earlier, interrupted cycle saved and did not judge (judge-unjudged.ts).
 * 1. Resolve every hostname of the catalogue and record the observations (DNS), in one call or
 *    shard by shard (`input.shards`, sharded-run/resolve-shards-in-process.ts).
 * 2. Ingest both range feeds (at the same time as 1): verify, archive, diff, damp. Check the
 *    vendor's document the catalogue names, if any (vendor-document/check-vendor-document.ts):
 *    a failed download is a status, a changed text is judged in 4.
 * 3. Load the current range matchers (the last good snapshot of each feed).
 * 4. Compare, commit the change events, rewrite changed allowlists, then publish (judge-drift.ts).
 * 5. Mark the run and the feed changes judged; move the document's pointer to a changed version.
 * 6. Archive the run's observations to the bucket as JSON Lines (record/history-archive.ts).
 *
 * A failed lookup or feed is a result, never an empty answer: it removes nothing (steps 1 and 2
 * keep the last good state). A store failure throws and nothing is published for this run; what
 * steps 1 and 2 saved stays unjudged, and the next cycle's step 0 judges it.
 */
export async function runDetectionCycle(
  deps: DetectionCycleDeps,
  input: DetectionCycleInput,
): Promise<DetectionCycleResult> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const progress = input.onProgress ?? (() => {});
  const catalogues = catalogueList(input.catalogue);
  if (catalogues.length === 0) throw new RangeError("no catalogue to watch");
  assertUniqueGroups(catalogues);

  // 0.
  const backlog = await judgeUnjudged(
    {
      observations: deps.observations,
      feedPointers: deps.feedPointers,
      archive: deps.archive,
      judgeDrift: deps.judgeDrift,
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    {
      catalogue: async () => input.catalogue,
      dnsRuns: true,
      feeds: input.feeds.map((feed) => feed.id),
      exceptRunId: input.runId,
      ...(input.exclusiveStore === true ? { exclusiveStore: true } : {}),
    },
  );

  // 1. and 2.
  progress({ stage: "feeds", done: 0, total: input.feeds.length });
  const feedsDone = ingestFeeds(
    {
      fetcher: deps.fetcher,
      archive: deps.archive,
      pointers: deps.feedPointers,
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    { feeds: input.feeds, now: input.now, options: input.feedOptions, runId: input.runId },
  );
  const documentDone = Promise.all(catalogues.map((c) => checkCycleDocument(deps, c, input.now)));
  const [resolved, feeds, documents] = await Promise.all([
    resolveCycleHostnames(deps, input, clock),
    feedsDone.then((results) => {
      progress({ stage: "feeds", done: results.length, total: input.feeds.length });
      return results;
    }),
    documentDone,
  ]);

  // 3. to 5.
  // The lease is ended once the run is judged, or when judging failed (the next cycle judges the
  // run at once). Ending it can fail too (an abandoned cycle whose store was closed under it):
  // the lease then ends by itself, and that failure must not hide the cycle's own outcome.
  const { matchers, judged } = await judgeCycle(deps, input, {
    catalogues,
    resolved,
    feeds,
    documents,
  }).finally(() =>
    resolved.release().catch((error: unknown) => {
      deps.logger?.warn("ending the run's lease failed (it ends by itself)", {
        runId: input.runId,
        error,
      });
    }),
  );

  // 6.
  const historyArchive = await archiveRunHistory(deps.archive, resolved.observations);

  const [first] = judged as [CatalogueCycleResult, ...CatalogueCycleResult[]];
  return {
    runId: input.runId,
    startedAt: input.now.toISOString(),
    durationMs: clock() - started,
    catalogue: first.catalogue,
    catalogues: judged,
    observations: resolved.observations,
    duplicateRun: resolved.duplicateRun,
    feeds,
    matchers,
    drift: judged.length === 1 ? first.drift : mergeDriftResults(judged.map((c) => c.drift)),
    backlog,
    ...(first.document === undefined ? {} : { document: first.document }),
    historyArchive,
  };
}

/**
 * Steps 3 to 5: the current matchers; each catalogue judged against its own hostnames'
 * observations (and its own document); the run, the feed changes and the documents marked.
 */
async function judgeCycle(
  deps: DetectionCycleDeps,
  input: DetectionCycleInput,
  cycle: {
    catalogues: readonly Catalogue[];
    resolved: { runId: string; observations: HostObservation[] };
    feeds: FeedIngestResult[];
    documents: (VendorDocumentCheckResult | null)[];
  },
): Promise<{ matchers: ReadonlyMap<FeedId, RangeMatcher>; judged: CatalogueCycleResult[] }> {
  const { catalogues, resolved, feeds, documents } = cycle;
  const progress = input.onProgress ?? (() => {});
  // 3.
  progress({ stage: "compare" });
  const { matchers, unreadable } = await loadCurrentRanges({
    archive: deps.archive,
    pointers: deps.feedPointers,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });

  // 4.
  const judged: CatalogueCycleResult[] = [];
  for (const [index, catalogue] of catalogues.entries()) {
    const document = documents[index] ?? null;
    // One catalogue: every observation of the run is its own (as before several were watched).
    const observations =
      catalogues.length === 1
        ? resolved.observations
        : observationsOf(catalogue, resolved.observations);
    const drift = await deps.judgeDrift({
      catalogue,
      observations,
      feeds: { results: feeds, matchers, unreadable: unreadable.map((error) => error.feed) },
      now: input.now,
      runId: input.runId,
      ...(document === null ? {} : { documents: [document.check] }),
    });
    judged.push({
      catalogue,
      observations,
      drift,
      ...(document === null ? {} : { document: document.check }),
    });
  }

  // 5.
  await deps.observations.markRunJudged(resolved.runId);
  await markFeedResultsJudged(deps.feedPointers, feeds);
  for (const document of documents) {
    if (document !== null) await markVendorDocumentJudged(deps.archive, document);
  }

  return { matchers, judged };
}

/** Step 2, a catalogue's document: checked when it names its URL and a fetcher is given. */
async function checkCycleDocument(
  deps: DetectionCycleDeps,
  catalogue: Catalogue,
  now: Date,
): Promise<VendorDocumentCheckResult | null> {
  const url = catalogue.document.source?.url;
  if (url === undefined || deps.documentFetcher === undefined) return null;
  return checkVendorDocument(
    {
      fetcher: deps.documentFetcher,
      archive: deps.archive,
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    { catalogueId: catalogue.id, url, now },
  );
}

/** Step 1: the run's observations, from one resolveHostnames call or from its shards. */
async function resolveCycleHostnames(
  deps: DetectionCycleDeps,
  input: DetectionCycleInput,
  clock: () => number,
): Promise<{
  runId: string;
  observations: HostObservation[];
  duplicateRun: boolean;
  /** Ends the run's lease (the shards' ones are ended by each shard). */
  release: () => Promise<void>;
}> {
  const resolveDeps = {
    resolver: deps.resolver,
    store: deps.observations,
    clock,
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
  const common = {
    runId: input.runId,
    now: input.now,
    deadline: input.deadline,
    ...(input.resolveOptions ? { options: input.resolveOptions } : {}),
    onProgress: (done: number, total: number) =>
      input.onProgress?.({ stage: "resolve", done, total }),
  };
  if (input.shards === undefined) {
    const catalogues = catalogueList(input.catalogue);
    // One catalogue as before; several: their targets together, each hostname resolved once.
    const targets =
      catalogues.length === 1 && catalogues[0] !== undefined
        ? catalogues[0]
        : catalogues.flatMap(targetsFromCatalogue);
    const result = await resolveHostnames(resolveDeps, { ...common, targets });
    return { ...result, release: () => deps.observations.releaseRunLease(result.lease) };
  }
  const sharded = await resolveShardsInProcess(
    { ...resolveDeps, observations: deps.observations },
    {
      ...common,
      catalogue: input.catalogue,
      shards: input.shards.count,
      ...(input.shards.maxShardSize === undefined
        ? {}
        : { maxShardSize: input.shards.maxShardSize }),
      ...(input.shards.concurrency === undefined ? {} : { concurrency: input.shards.concurrency }),
    },
  );
  return {
    runId: input.runId,
    observations: sharded.observations,
    duplicateRun: sharded.duplicateRun,
    release: async () => {},
  };
}
