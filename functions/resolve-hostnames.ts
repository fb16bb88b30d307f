import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { parseEvent, ScheduledEvent, scheduledTime } from "#functions/commons/events";
import type { ObserveHandlerDependencies } from "#functions/commons/observe-runtime";
import { resolveHostnamesRuntime } from "#functions/commons/resolve-hostnames-runtime";
import { type ResolveAndJudgeResult, resolveAndJudge } from "#shared/detect/resolve-and-judge";
import { runIdFor } from "#shared/observe/dns/run-id-for";

export type ResolveHostnamesResponse = ResolveAndJudgeResult;
export type ResolveHandlerDependencies = ObserveHandlerDependencies;

/**
 * Resolves every hostname of the catalogue and records the observations, on an EventBridge
 * schedule, then judges the run (resolveAndJudge). Publishing is left to `publish-events`, so
 * this role needs no SNS or KMS rights. Each delivery of the same scheduled event has the same
 * run id (its `time` truncated to the interval), so a retried or duplicated delivery never
 * double-counts and commits nothing new (event ids are deterministic).
 */
export function createResolveHostnamesHandler(
  env: Record<string, string | undefined>,
  dependencies: ResolveHandlerDependencies = {},
) {
  const { config, logger, metrics, deps, options } = resolveHostnamesRuntime(env, dependencies);

  return middy(async (rawEvent: unknown, context: Context): Promise<ResolveHostnamesResponse> => {
    const event = parseEvent(ScheduledEvent, rawEvent, "schedule", logger);
    const scheduled = scheduledTime(event, new Date(deps.clock()), logger);
    const runId = runIdFor(scheduled, config.intervalMinutes);
    // The invocation cannot outlive its timeout: the run's lease ends with it (plus a margin).
    const invocationEnd = deps.clock() + context.getRemainingTimeInMillis();
    const deadline = invocationEnd - config.deadlineMarginMs;
    return resolveAndJudge(deps, {
      catalogueIds: config.catalogueIds,
      runId,
      deadline,
      invocationEnd,
      options,
    });
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createResolveHostnamesHandler(process.env);
