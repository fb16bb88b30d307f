import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { createAwsClients } from "#shared/aws/clients";
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
import { createDynamoFeedPointerStore } from "#shared/stores/dynamodb/feed-pointer-store";
import { createS3ObjectArchive } from "#shared/stores/s3/object-archive";

/**
 * Ingests the IP-range feeds. Triggered by the AmazonIpSpaceChanged SNS topic (the message
 * carries the new syncToken and md5) and by an hourly EventBridge schedule (the fallback:
 * notifications can be late, out of order or missing).
 */

const SnsEvent = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal("aws:sns"),
        Sns: z.object({ TopicArn: z.string(), Message: z.string() }),
      }),
    )
    .min(1),
});

const ScheduledEvent = z.object({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
  time: z.string(),
});

export const IngestFeedsEvent = z.union([SnsEvent, ScheduledEvent]);
export type IngestFeedsEvent = z.input<typeof IngestFeedsEvent>;

export interface IngestFeedsResponse {
  trigger: "notification" | "schedule";
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
  event: z.infer<typeof SnsEvent>,
): IpSpaceChangedNotification {
  const notifications = event.Records.map((record) =>
    notificationFromMessage(AmazonIpSpaceChangedMessage.parse(JSON.parse(record.Sns.Message))),
  );
  return notifications.reduce((newest, next) =>
    compareSyncTokens(next.syncToken, newest.syncToken) > 0 ? next : newest,
  );
}

/** Builds the handler from an environment: config and clients once, at cold start. */
export function createIngestFeedsHandler(env: Record<string, string | undefined>) {
  const config = loadFeedConfig(env);
  const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-feeds" });
  // Alarms match metrics with the single dimension `service` (POWERTOOLS_SERVICE_NAME).
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "driftwatch",
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-feeds",
  });
  const clients = createAwsClients({ region: env.AWS_REGION ?? "us-east-1" });
  const feedLogger: FeedLogger = {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
  const deps = {
    fetcher: createHttpFeedFetcher({ timeoutMs: config.timeoutMs, maxBytes: config.maxBytes }),
    archive: createS3ObjectArchive({ s3: clients.s3, bucketName: config.bucketName }),
    pointers: createDynamoFeedPointerStore({
      documents: clients.documents,
      tableName: config.tableName,
    }),
    logger: feedLogger,
  };

  return middy(async (rawEvent: unknown): Promise<IngestFeedsResponse> => {
    const event = IngestFeedsEvent.parse(rawEvent);
    const notification = "Records" in event ? notificationFromSnsEvent(event) : undefined;
    const trigger = notification !== undefined ? "notification" : "schedule";
    logger.info("ingesting feeds", { trigger, notification });

    const results = await ingestFeeds(deps, {
      feeds: config.feeds,
      now: new Date(),
      ...(notification !== undefined ? { notification } : {}),
      options: { grace: config.grace },
    });

    const now = new Date();
    for (const result of results) recordMetrics(metrics, result);
    const age = feedAgeSeconds(results, now);
    if (age !== null) metrics.addMetric("FeedAgeSeconds", MetricUnit.Seconds, age);
    const failed = results.filter((r) => r.status === "rejected" || r.status === "unreachable");
    if (failed.length > 0) throw new FeedIngestFailedError(results);
    return { trigger, results: results.map(summarise) };
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
