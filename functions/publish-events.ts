import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { changeEventInserts } from "#functions/commons/change-event-inserts";
import {
  isRecordBatch,
  parseEvent,
  ScheduledEvent,
  scheduledTime,
} from "#functions/commons/events";
import {
  type PublishEventsDeps,
  publishEventsDepsFromEnv,
} from "#functions/commons/publish-events-deps";
import { StreamEvent } from "#functions/commons/publish-events-event";
import { publishStreamBatch } from "#shared/notify/publish-stream-batch";
import { type PublishSweepResult, publishSweep } from "#shared/notify/publish-sweep";

export { PublishSweepError } from "#shared/notify/publish-sweep-error";
export type SweepResponse = PublishSweepResult;
export interface StreamResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Publishes committed change events to SNS, once. On a DynamoDB Streams batch of new `EVENT#…`
 * items: publishStreamBatch, its failed subjects' records as `batchItemFailures`. On the
 * EventBridge schedule: publishSweep, which fails (the alarm fires, Lambda retries) when a change
 * set could not be published. A malformed event is rejected with `InvalidEventError`.
 */
export function createPublishEventsHandler(deps: PublishEventsDeps) {
  const { logger, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());

  return middy(async (rawEvent: unknown): Promise<StreamResponse | SweepResponse> => {
    if (isRecordBatch(rawEvent)) {
      const event = parseEvent(StreamEvent, rawEvent, "dynamodb-stream", logger);
      const batch = { records: event.Records.length, ...changeEventInserts(event, logger) };
      const { failedRecords } = await publishStreamBatch(deps, { ...batch, now: clock(), clock });
      return { batchItemFailures: failedRecords.map((itemIdentifier) => ({ itemIdentifier })) };
    }
    const now = clock();
    scheduledTime(parseEvent(ScheduledEvent, rawEvent, "schedule", logger), now, logger);
    return publishSweep(deps, { now, clock });
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

let coldStart: ReturnType<typeof createPublishEventsHandler> | undefined;

/** The Lambda entry point; reads its configuration on the first invocation of a cold start. */
export const handler = (event: unknown, context: Context) => {
  coldStart ??= createPublishEventsHandler(publishEventsDepsFromEnv(process.env));
  return coldStart(event, context);
};
