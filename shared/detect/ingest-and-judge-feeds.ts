import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { FeedId, FeedIngestResult } from "#shared/domain/feed";
import type { FeedGrace } from "#shared/observe/feeds/damping";
import { FeedIngestFailedError } from "#shared/observe/feeds/errors";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import type { FeedFetcher, FeedLogger } from "#shared/observe/feeds/ports";
import type { IpSpaceChangedNotification } from "#shared/observe/feeds/schema";
import {
  checkVendorDocument,
  markVendorDocumentJudged,
  type VendorDocumentCheckResult,
} from "#shared/observe/vendor-document/check-vendor-document";
import type { DocumentFetcher } from "#shared/observe/vendor-document/ports";
import type { CatalogueSource } from "./catalogue-source";
import { loadCatalogues } from "./catalogues";
import type { JudgeDriftResult } from "./judge-drift";
import { judgeFeedIngest } from "./judge-feed-ingest";
import { type JudgedBacklog, type JudgeUnjudgedDeps, judgeUnjudged } from "./judge-unjudged";

export interface IngestAndJudgeFeedsDeps extends Omit<JudgeUnjudgedDeps, "logger"> {
  fetcher: FeedFetcher;
  catalogues: CatalogueSource;
  logger: FeedLogger;
  metrics: Pick<Metrics, "addMetric" | "singleMetric">;
  /** Epoch-ms clock: the ingest's time. */
  clock: () => number;
  /** Downloads the vendor's document on scheduled ingests, when the catalogue names one. */
  documentFetcher?: DocumentFetcher;
}

export interface IngestAndJudgeFeedsInput {
  trigger: "notification" | "schedule";
  /** Deterministic per trigger (see feedRunIdFor): a redelivery is the same run. */
  runId: string;
  /** From AmazonIpSpaceChanged; applies to `aws-ip-ranges` only. */
  notification?: IpSpaceChangedNotification;
  feeds: { id: FeedId; url: string }[];
  grace: FeedGrace;
  /** The catalogues watched (DRIFTWATCH_CATALOGUE_IDS), judged in this order. */
  catalogueIds: readonly string[];
}

export interface IngestAndJudgeFeedsResult {
  trigger: "notification" | "schedule";
  runId: string;
  /** What the compare step did; absent when no feed changed or was rejected. */
  drift?: { events: number; committed: number; allowlistsWritten: string[] };
  /** Feed changes an interrupted earlier invocation left unjudged, judged first (usually none). */
  backlog?: { runId: string; feeds: string[]; committed: number }[];
  results: {
    feed: string;
    status: string;
    reason?: string;
    sha256?: string;
    syncToken?: string;
    added?: number;
    removed?: number;
  }[];
  /**
   * The vendor's document, checked on the schedule when the catalogue names one (the first
   * catalogue that does, when several are watched; every one is checked and judged).
   */
  document?: { url: string; status: string; reason?: string; sha256?: string };
}

/**
 * Use case: one feed ingest, judged (the ingest-feeds function). Each failing step is logged
 * with the run id and rethrown, so Lambda retries the same trigger (same run id).
 *
 * 1. Judge the changes an earlier invocation accepted (the pointer moved on) and died before
 *    committing: a retry would see those feeds unchanged.
 * 2. Ingest the feeds at one instant (ingestFeeds), and emit each feed's metrics and
 *    `FeedAgeSeconds` (a feed confirmed now is 0 s old).
 * 3. When a feed changed or was rejected, judge the change against the catalogue
 *    (judgeFeedIngest): commit feed-ranges-changed / feed-rejected events and rewrite the
 *    allowlists whose published ranges moved. Committed before a failed feed throws: the
 *    feed-rejected event must not wait for a retry.
 *    On the schedule, the vendor's document the catalogue names is checked first and judged
 *    with them (vendor-document-changed); a failed download is a status, logged and counted
 *    (`VendorDocumentChecks` by status), never a throw. Its pointer moves after the commit.
 * 4. A rejected or unreachable feed: throw `FeedIngestFailedError` (Lambda retries, alarms fire).
 */
export async function ingestAndJudgeFeeds(
  deps: IngestAndJudgeFeedsDeps,
  input: IngestAndJudgeFeedsInput,
): Promise<IngestAndJudgeFeedsResult> {
  const { logger, metrics } = deps;
  const { runId } = input;
  // 1.
  const backlog = await judgeUnjudged(deps, {
    catalogue: () => loadCatalogues(deps.catalogues, input.catalogueIds),
    dnsRuns: false,
    feeds: input.feeds.map((feed) => feed.id),
  }).catch((error: unknown) => {
    logger.error("judging earlier unjudged feed changes failed", { runId, error: error as Error });
    throw error;
  });
  logger.info("ingesting feeds", {
    trigger: input.trigger,
    runId,
    notification: input.notification,
  });
  // 2.
  const now = new Date(deps.clock());
  const results = await ingestFeeds(
    { fetcher: deps.fetcher, archive: deps.archive, pointers: deps.feedPointers, logger },
    {
      feeds: input.feeds,
      now,
      ...(input.notification !== undefined ? { notification: input.notification } : {}),
      options: { grace: input.grace },
      runId,
    },
  );
  addFeedMetrics(metrics, results, now);
  const documents = await scheduledDocumentChecks(deps, input, now);
  // 3.
  const drift = await judgeFeedIngest(deps, {
    catalogueIds: input.catalogueIds,
    results,
    runId,
    now,
    ...(documents.length === 0 ? {} : { documents: documents.map((document) => document.check) }),
  }).catch((error: unknown) => {
    logger.error("recording the feeds' drift failed", { runId, error: error as Error });
    throw error;
  });
  const committed =
    (drift?.committed ?? 0) + backlog.reduce((sum, judged) => sum + judged.drift.committed, 0);
  for (const document of documents) await markVendorDocumentJudged(deps.archive, document);
  metrics.addMetric("DriftEventsCommitted", MetricUnit.Count, committed);
  // 4.
  const failed = results.filter((r) => r.status === "rejected" || r.status === "unreachable");
  if (failed.length > 0) throw new FeedIngestFailedError(results);
  return {
    ...ingestSummary(input, drift, backlog, results),
    ...documentSummary(documents[0] ?? null),
  };
}

/** Step 3, on the schedule: the vendor's document of each catalogue that names one. */
async function scheduledDocumentChecks(
  deps: IngestAndJudgeFeedsDeps,
  input: IngestAndJudgeFeedsInput,
  now: Date,
): Promise<VendorDocumentCheckResult[]> {
  const fetcher = deps.documentFetcher;
  if (input.trigger !== "schedule" || fetcher === undefined) return [];
  const checks: VendorDocumentCheckResult[] = [];
  for (const catalogue of await loadCatalogues(deps.catalogues, input.catalogueIds)) {
    const url = catalogue.document.source?.url;
    if (url === undefined) continue;
    const checked = await checkVendorDocument(
      { fetcher, archive: deps.archive, logger: deps.logger },
      { catalogueId: catalogue.id, url, now },
    );
    const single = deps.metrics.singleMetric();
    single.addDimensions({ status: checked.check.status });
    single.addMetric("VendorDocumentChecks", MetricUnit.Count, 1);
    checks.push(checked);
  }
  return checks;
}

function documentSummary(
  document: VendorDocumentCheckResult | null,
): Pick<IngestAndJudgeFeedsResult, "document"> {
  if (document === null) return {};
  const { url, status, reason, current } = document.check;
  return {
    document: {
      url,
      status,
      ...(reason === undefined ? {} : { reason }),
      ...(current === undefined ? {} : { sha256: current.sha256 }),
    },
  };
}

function addFeedMetrics(
  metrics: IngestAndJudgeFeedsDeps["metrics"],
  results: readonly FeedIngestResult[],
  now: Date,
): void {
  for (const result of results) {
    const single = metrics.singleMetric();
    single.addDimensions({ feed: result.feed, status: result.status });
    single.addMetric("FeedIngests", MetricUnit.Count, 1);
    metrics.addMetric("FeedPrefixesAdded", MetricUnit.Count, result.diff?.added.length ?? 0);
    metrics.addMetric("FeedPrefixesRemoved", MetricUnit.Count, result.diff?.removed.length ?? 0);
  }
  const age = feedAgeSeconds(results, now);
  if (age !== null) metrics.addMetric("FeedAgeSeconds", MetricUnit.Seconds, age);
}

/**
 * Seconds since the most stale feed was last confirmed current. Null (no data point, so the
 * stale-feed alarm treats it as breaching) while a feed has never been accepted.
 */
function feedAgeSeconds(results: readonly FeedIngestResult[], now: Date): number | null {
  let oldest = now.getTime();
  for (const result of results) {
    if (result.confirmedAt === undefined) return null;
    oldest = Math.min(oldest, Date.parse(result.confirmedAt));
  }
  return Math.max(0, Math.round((now.getTime() - oldest) / 1000));
}

function ingestSummary(
  input: IngestAndJudgeFeedsInput,
  drift: JudgeDriftResult | null,
  backlog: readonly JudgedBacklog[],
  results: readonly FeedIngestResult[],
): IngestAndJudgeFeedsResult {
  return {
    trigger: input.trigger,
    runId: input.runId,
    ...(drift === null
      ? {}
      : {
          drift: {
            events: drift.events.length,
            committed: drift.committed,
            allowlistsWritten: drift.allowlistsWritten,
          },
        }),
    ...(backlog.length === 0
      ? {}
      : {
          backlog: backlog.map((judged) => ({
            runId: judged.runId,
            feeds: [...new Set(judged.feedChanges.map((change) => change.feed))],
            committed: judged.drift.committed,
          })),
        }),
    results: results.map(summarise),
  };
}

function summarise(result: FeedIngestResult): IngestAndJudgeFeedsResult["results"][number] {
  return {
    feed: result.feed,
    status: result.status,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    ...(result.current?.sha256 !== undefined ? { sha256: result.current.sha256 } : {}),
    ...(result.current?.syncToken !== undefined ? { syncToken: result.current.syncToken } : {}),
    ...(result.diff !== undefined
      ? { added: result.diff.added.length, removed: result.diff.removed.length }
      : {}),
  };
}
