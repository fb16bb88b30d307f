import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { z } from "zod";
import {
  isRecordBatch,
  parseEvent,
  ScheduledEvent,
  scheduledTime,
} from "#functions/commons/events";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createSnsClient } from "#shared/adapters/aws/sns";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
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
 *
 * A malformed event is rejected with `InvalidEventError` (functions/commons/events.ts). A stream
 * INSERT of an `EVENT#` item without a known subject is logged (with its sequence number) and
 * counted in `UnpublishableStreamRecords`, not returned as a batch item failure: the record is
 * the item as written, so every retry would carry the same image, block the shard's later
 * records for up to an hour and end in the failure queue anyway. Records of other item kinds
 * and MODIFY/REMOVE records are skipped with a debug line.
 *
 * Every sweep emits `PublishSweepFailures` (1 when it threw or left change sets unpublished, else
 * 0; flushed on error too), which its alarm watches over one 5-minute period.
 */

const StreamRecord = z.object({
  eventName: z.enum(["INSERT", "MODIFY", "REMOVE"]),
  eventSource: z.literal("aws:dynamodb"),
  dynamodb: z.object({
    SequenceNumber: z.string().min(1, "expected a non-empty string"),
    NewImage: z.record(z.string(), z.unknown()).optional(),
  }),
});
const StreamEvent = z.object({ Records: z.array(StreamRecord).min(1) });

/** The key of a stream image's item (`EVENT#…` for change events and change sets). */
const ItemKey = z.object({ pk: z.object({ S: z.string() }) });

/**
 * The subject of a new change-event or change-set item: the key of a DriftSubject
 * (shared/compare/drift-event.ts), `endpoint:…`, `pool:…` or `feed:…`.
 */
const ChangeEventImage = z.object({
  subjectKey: z.object({
    S: z.string().regex(/^(endpoint|pool|feed):./, "expected endpoint:…, pool:… or feed:…"),
  }),
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
    if (isRecordBatch(rawEvent)) {
      const event = parseEvent(StreamEvent, rawEvent, "dynamodb-stream", logger);
      return publishStreamBatch(deps, event, clock);
    }
    const now = clock();
    scheduledTime(parseEvent(ScheduledEvent, rawEvent, "schedule", logger), now, logger);

    const result = await publishPendingEvents(deps, { now, clock }).catch((error: unknown) => {
      logger.error("sweep failed", { error: error as Error });
      metrics.addMetric("PublishSweepFailures", MetricUnit.Count, 1);
      throw error;
    });
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
    metrics.addMetric("PublishSweepFailures", MetricUnit.Count, result.failed.length > 0 ? 1 : 0);
    if (result.failed.length > 0) {
      const error = new PublishSweepError(result.failed);
      logger.error("sweep left change sets unpublished", {
        changeSets: result.failed.map((f) => ({
          changeSetId: f.changeSetId,
          subjectKey: f.subjectKey,
        })),
        error,
      });
      throw error;
    }
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
  let unpublishable = 0;
  for (const [index, record] of event.Records.entries()) {
    const sequenceNumber = record.dynamodb.SequenceNumber;
    if (record.eventName !== "INSERT") {
      logger.debug("stream record skipped: not an INSERT", {
        sequenceNumber,
        eventName: record.eventName,
      });
      continue;
    }
    const pk = ItemKey.safeParse(record.dynamodb.NewImage).data?.pk.S;
    if (pk === undefined || !pk.startsWith("EVENT#")) {
      logger.debug("stream record skipped: not a change event", { sequenceNumber, pk });
      continue;
    }
    const image = ChangeEventImage.safeParse(record.dynamodb.NewImage);
    if (!image.success) {
      const issue = image.error.issues[0];
      unpublishable++;
      logger.error("change-event stream record without a known subject: not published", {
        sequenceNumber,
        pk,
        field: `Records[${index}].dynamodb.NewImage.${z.core.toDotPath(issue?.path ?? [])}`,
        problem: issue?.message,
      });
      continue;
    }
    const subject = image.data.subjectKey.S;
    const list = bySubject.get(subject) ?? [];
    list.push(sequenceNumber);
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
  metrics.addMetric("UnpublishableStreamRecords", MetricUnit.Count, unpublishable);
  logger.info("stream batch done", {
    records: event.Records.length,
    subjects: bySubject.size,
    published,
    unpublishable,
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
