import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { z } from "zod";
import {
  isRecordBatch,
  jsonText,
  parseEvent,
  ScheduledEvent,
  scheduledTime,
} from "#functions/commons/events";
import {
  createObserveRuntime,
  type ObserveHandlerDependencies,
} from "#functions/commons/observe-runtime";
import { loadDriftConfig } from "#shared/compare/config";
import type { JudgeDriftResult } from "#shared/detect/judge-drift";
import { feedRunIdFor, judgeFeedIngest } from "#shared/detect/judge-feed-ingest";
import { judgeUnjudged } from "#shared/detect/judge-unjudged";
import type { FeedIngestResult } from "#shared/domain/feed";
import { loadFeedConfig } from "#shared/observe/feeds/config";
import { FeedIngestFailedError } from "#shared/observe/feeds/errors";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import type { FeedLogger } from "#shared/observe/feeds/ports";
import {
  AmazonIpSpaceChangedMessage,
  type IpSpaceChangedNotification,
  notificationFromMessage,
} from "#shared/observe/feeds/schema";
import { compareSyncTokens } from "#shared/observe/feeds/snapshot";

/**
 * Ingests the IP-range feeds. Triggered by the AmazonIpSpaceChanged SNS topic (the message
 * carries the new syncToken and md5) and by an hourly EventBridge schedule (the fallback:
 * notifications can be late, out of order or missing). When a feed changed or was rejected, it
 * judges the change against the catalogue: commits feed-ranges-changed / feed-rejected events and
 * rewrites the allowlists whose published ranges moved. Publishing is left to `publish-events`.
 * Before ingesting, it judges the changes an earlier invocation accepted (the pointer moved on)
 * and died before committing: a retry would see those feeds unchanged.
 */

const SnsEvent = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal("aws:sns"),
        Sns: z.object({ TopicArn: z.string(), Message: jsonText(AmazonIpSpaceChangedMessage) }),
      }),
    )
    .min(1),
});

export const IngestFeedsEvent = z.union([SnsEvent, ScheduledEvent]);
export type IngestFeedsEvent = z.input<typeof IngestFeedsEvent>;

export interface IngestFeedsResponse {
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
}

/** The newest notification of an SNS event (SNS delivers one record per invocation today). */
export function notificationFromSnsEvent(
  event: z.output<typeof SnsEvent>,
): IpSpaceChangedNotification {
  const notifications = event.Records.map((record) => notificationFromMessage(record.Sns.Message));
  return notifications.reduce((newest, next) =>
    compareSyncTokens(next.syncToken, newest.syncToken) > 0 ? next : newest,
  );
}

export type IngestHandlerDependencies = ObserveHandlerDependencies;

/** Builds the handler from an environment: config and clients once, at cold start. */
export function createIngestFeedsHandler(
  env: Record<string, string | undefined>,
  dependencies: IngestHandlerDependencies = {},
) {
  const config = loadFeedConfig(env);
  const driftConfig = loadDriftConfig(env);
  const { clock, logger, structuredLogger, metrics, catalogueSource, stores, judgeDrift } =
    createObserveRuntime(
      env,
      { defaultServiceName: "driftwatch-feeds", tableName: config.tableName, drift: driftConfig },
      dependencies,
    );
  const feedLogger: FeedLogger = structuredLogger;
  const deps = {
    fetcher: createHttpFeedFetcher({ timeoutMs: config.timeoutMs, maxBytes: config.maxBytes }),
    archive: stores.archive,
    pointers: stores.feedPointers,
    logger: feedLogger,
  };

  return middy(async (rawEvent: unknown): Promise<IngestFeedsResponse> => {
    // Deterministic per trigger, so a redelivered notification or a retried schedule is the same
    // run (see feedRunIdFor): a retry after a partial commit finishes the same change sets.
    let notification: IpSpaceChangedNotification | undefined;
    let runId: string;
    if (isRecordBatch(rawEvent)) {
      notification = notificationFromSnsEvent(parseEvent(SnsEvent, rawEvent, "sns", logger));
      runId = feedRunIdFor({ syncToken: notification.syncToken });
    } else {
      const event = parseEvent(ScheduledEvent, rawEvent, "schedule", logger);
      runId = feedRunIdFor({ scheduledTime: scheduledTime(event, new Date(clock()), logger) });
    }
    const trigger = notification !== undefined ? "notification" : "schedule";

    const backlog = await judgeUnjudged(
      {
        observations: stores.observations,
        feedPointers: stores.feedPointers,
        archive: stores.archive,
        judgeDrift,
        logger: feedLogger,
      },
      {
        catalogue: () => catalogueSource(driftConfig.catalogueId),
        dnsRuns: false,
        feeds: config.feeds.map((feed) => feed.id),
      },
    ).catch((error: unknown) => {
      logger.error("judging earlier unjudged feed changes failed", {
        runId,
        error: error as Error,
      });
      throw error;
    });

    logger.info("ingesting feeds", { trigger, runId, notification });

    // One instant for the ingest and its metrics: a feed confirmed now is 0 s old.
    const now = new Date(clock());
    const results = await ingestFeeds(deps, {
      feeds: config.feeds,
      now,
      ...(notification !== undefined ? { notification } : {}),
      options: { grace: config.grace },
      runId,
    });

    for (const result of results) recordMetrics(metrics, result);
    const age = feedAgeSeconds(results, now);
    if (age !== null) metrics.addMetric("FeedAgeSeconds", MetricUnit.Seconds, age);

    // Committed before a failed feed throws: the feed-rejected event must not wait for a retry.
    let drift: JudgeDriftResult | null;
    try {
      drift = await judgeFeedIngest(
        {
          observations: stores.observations,
          archive: stores.archive,
          feedPointers: stores.feedPointers,
          judgeDrift,
          catalogues: catalogueSource,
          logger: feedLogger,
        },
        {
          catalogueId: driftConfig.catalogueId,
          results,
          runId,
          now,
        },
      );
    } catch (error) {
      logger.error("recording the feeds' drift failed", { runId, error: error as Error });
      throw error;
    }
    metrics.addMetric(
      "DriftEventsCommitted",
      MetricUnit.Count,
      (drift?.committed ?? 0) + backlog.reduce((sum, judged) => sum + judged.drift.committed, 0),
    );

    const failed = results.filter((r) => r.status === "rejected" || r.status === "unreachable");
    if (failed.length > 0) throw new FeedIngestFailedError(results);
    return {
      trigger,
      runId,
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
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

function recordMetrics(metrics: Metrics, result: FeedIngestResult): void {
  const single = metrics.singleMetric();
  single.addDimensions({ feed: result.feed, status: result.status });
  single.addMetric("FeedIngests", MetricUnit.Count, 1);
  metrics.addMetric("FeedPrefixesAdded", MetricUnit.Count, result.diff?.added.length ?? 0);
  metrics.addMetric("FeedPrefixesRemoved", MetricUnit.Count, result.diff?.removed.length ?? 0);
}

/**
 * Seconds since the most stale feed was last confirmed current. Null (no data point, so the
 * stale-feed alarm treats it as breaching) while a feed has never been accepted.
 */
export function feedAgeSeconds(results: readonly FeedIngestResult[], now: Date): number | null {
  let oldest = now.getTime();
  for (const result of results) {
    if (result.confirmedAt === undefined) return null;
    oldest = Math.min(oldest, Date.parse(result.confirmedAt));
  }
  return Math.max(0, Math.round((now.getTime() - oldest) / 1000));
}

function summarise(result: FeedIngestResult): IngestFeedsResponse["results"][number] {
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

export const handler = createIngestFeedsHandler(process.env);
