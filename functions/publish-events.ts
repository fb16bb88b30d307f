import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
import { createDynamoDbClients } from "#shared/aws/dynamodb";
import { createSnsClient } from "#shared/aws/sns";
import { loadNotifyConfig } from "#shared/notify/config";
import type { EventStore, Notifier } from "#shared/notify/ports";
import { type PublishFailure, publishPendingEvents } from "#shared/notify/publish-pending";

/**
 * Publishes committed change events to SNS, once. Two triggers:
 * - DynamoDB Streams: new `EVENT#…` items (the event source mapping filters INSERTs); publishes the
 *   pending change sets of the subjects in the batch, in sequence order, and reports the records
 *   of a subject that could not be published as `batchItemFailures` (Lambda retries them).
 * - An EventBridge schedule: the sweep; publishes whatever is still pending (an SNS outage,
 *   exhausted stream retries), emits `OldestUnpublishedEventAgeSeconds`, and fails (so the
 *   alarm fires and Lambda retries) when a change set could not be published.
 */

const StreamRecord = z.object({
  eventName: z.enum(["INSERT", "MODIFY", "REMOVE"]),
  eventSource: z.literal("aws:dynamodb"),
  dynamodb: z.object({
    SequenceNumber: z.string().min(1),
    NewImage: z.record(z.string(), z.unknown()).optional(),
  }),
});
const StreamEvent = z.object({ Records: z.array(StreamRecord).min(1) });

/** The attributes of a new change-event or change-set item that the publisher needs. */
const ChangeEventImage = z.object({
  pk: z.object({ S: z.string().startsWith("EVENT#") }),
  subjectKey: z.object({ S: z.string().min(1) }),
});

const ScheduledEvent = z.object({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
  time: z.string(),
});

export const PublishEventsEvent = z.union([StreamEvent, ScheduledEvent]);
export type PublishEventsEvent = z.input<typeof PublishEventsEvent>;

export interface StreamResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface SweepResponse {
  published: number;
  changeSets: number;
  oldestPendingAgeSeconds: number;
}

/** A sweep left change sets unpublished; they stay pending and are retried. */
export class PublishSweepError extends Error {
  override readonly name = "PublishSweepError";
  constructor(readonly failures: PublishFailure[]) {
    super(
      `${failures.length} change set(s) could not be published: ` +
        failures
          .map((f) => `${f.changeSetId.slice(0, 12)} (${f.subjectKey}): ${f.error.message}`)
          .join("; "),
      { cause: failures[0]?.error },
    );
  }
}

export interface PublishEventsDeps {
  events: EventStore;
  notifier: Notifier;
  logger: Logger;
  metrics: Metrics;
  /** The wall clock at the boundary (tests pass a fixed one). */
  clock?: () => Date;
}

export function createPublishEventsHandler(deps: PublishEventsDeps) {
  const { logger, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());

  return middy(async (rawEvent: unknown): Promise<StreamResponse | SweepResponse> => {
    const event = PublishEventsEvent.parse(rawEvent);
    if ("Records" in event) return publishStreamBatch(deps, event, clock);

    const result = await publishPendingEvents(deps, { now: clock(), clock });
    metrics.addMetric(
      "OldestUnpublishedEventAgeSeconds",
      MetricUnit.Seconds,
      result.oldestPendingAgeSeconds,
    );
    metrics.addMetric("NotificationsPublished", MetricUnit.Count, result.published);
    logger.info("sweep done", {
      published: result.published,
      changeSets: result.changeSets,
      failed: result.failed.length,
      oldestPendingAgeSeconds: result.oldestPendingAgeSeconds,
    });
    if (result.failed.length > 0) throw new PublishSweepError(result.failed);
    return {
      published: result.published,
      changeSets: result.changeSets,
      oldestPendingAgeSeconds: result.oldestPendingAgeSeconds,
    };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

async function publishStreamBatch(
  deps: PublishEventsDeps,
  event: z.infer<typeof StreamEvent>,
  clock: () => Date,
): Promise<StreamResponse> {
  const now = clock();
  const { logger, metrics } = deps;
  const bySubject = new Map<string, string[]>();
  for (const record of event.Records) {
    if (record.eventName !== "INSERT") continue;
    const image = ChangeEventImage.safeParse(record.dynamodb.NewImage);
    if (!image.success) continue; // another item kind: not ours to publish
    const subject = image.data.subjectKey.S;
    const list = bySubject.get(subject) ?? [];
    list.push(record.dynamodb.SequenceNumber);
    bySubject.set(subject, list);
  }
  const batchItemFailures: { itemIdentifier: string }[] = [];
  let published = 0;
  for (const [subjectKey, sequenceNumbers] of bySubject) {
    try {
      const result = await publishPendingEvents(deps, { now, subjectKey, clock });
      published += result.published;
      if (result.failed.length > 0) {
        for (const failure of result.failed) {
          logger.warn("change set left pending", {
            subjectKey,
            changeSetId: failure.changeSetId,
            error: failure.error,
          });
        }
        batchItemFailures.push(...sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })));
      }
    } catch (error) {
      logger.error("publishing a subject failed", { subjectKey, error: error as Error });
      batchItemFailures.push(...sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })));
    }
  }
  metrics.addMetric("NotificationsPublished", MetricUnit.Count, published);
  logger.info("stream batch done", {
    records: event.Records.length,
    subjects: bySubject.size,
    published,
    failedRecords: batchItemFailures.length,
  });
  return { batchItemFailures };
}

/** Builds the dependencies from the environment: config and clients once per cold start. */
export function publishEventsDepsFromEnv(
  env: Record<string, string | undefined>,
): PublishEventsDeps {
  const config = loadNotifyConfig(env);
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-publish-events";
  // DynamoDB and SNS only: the bundle carries no other SDK client.
  const { documents } = createDynamoDbClients({ region: config.region });
  return {
    events: createDynamoEventStore({ documents, tableName: config.tableName }),
    notifier: createSnsNotifier({
      sns: createSnsClient({ region: config.region }),
      topicArn: config.topicArn,
    }),
    logger: new Logger({ serviceName }),
    // Alarms match metrics with the single dimension `service` (POWERTOOLS_SERVICE_NAME).
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "driftwatch",
      serviceName,
    }),
  };
}

let coldStart: ReturnType<typeof createPublishEventsHandler> | undefined;

/** The Lambda entry point; reads its configuration on the first invocation of a cold start. */
export const handler = (event: unknown, context: Context) => {
  coldStart ??= createPublishEventsHandler(publishEventsDepsFromEnv(process.env));
  return coldStart(event, context);
};
