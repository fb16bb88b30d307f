import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { ingestFeedsRuntime } from "#functions/commons/ingest-feeds-runtime";
import { ingestTrigger } from "#functions/commons/ingest-trigger";
import type { ObserveHandlerDependencies } from "#functions/commons/observe-runtime";
import {
  type IngestAndJudgeFeedsResult,
  ingestAndJudgeFeeds,
} from "#shared/detect/ingest-and-judge-feeds";

export type IngestFeedsResponse = IngestAndJudgeFeedsResult;
export type IngestHandlerDependencies = ObserveHandlerDependencies;

/**
 * Ingests the IP-range feeds. Triggered by the AmazonIpSpaceChanged SNS topic (the message
 * carries the new syncToken and md5) and by an hourly EventBridge schedule (the fallback:
 * notifications can be late, out of order or missing). Then judges what changed or was rejected
 * (ingestAndJudgeFeeds). Publishing is left to `publish-events`.
 */
export function createIngestFeedsHandler(
  env: Record<string, string | undefined>,
  dependencies: IngestHandlerDependencies = {},
) {
  const { logger, metrics, deps, settings } = ingestFeedsRuntime(env, dependencies);

  return middy(async (rawEvent: unknown): Promise<IngestFeedsResponse> => {
    const trigger = ingestTrigger(rawEvent, () => new Date(deps.clock()), logger);
    return ingestAndJudgeFeeds(deps, { ...trigger, ...settings });
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createIngestFeedsHandler(process.env);
