import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { parseEvent } from "#functions/commons/events";
import type { ObserveHandlerDependencies } from "#functions/commons/observe-runtime";
import { CompleteRunEvent } from "#functions/commons/sharded-run-events";
import { shardedRunRuntime } from "#functions/commons/sharded-run-runtime";
import {
  type CompletedEngineRun,
  completeEngineRun,
} from "#shared/detect/sharded-run/engine-steps";

export type CompleteRunResponse = CompletedEngineRun;

/**
 * The last state of the sharded run's state machine, after the map: judges the run once over
 * every hostname (compare, commit, rewrite the allowlists, mark it judged), only when every
 * shard reported and every hostname has its state of the run; otherwise it throws
 * `IncompleteShardedRunError` and judges nothing. Publishing is left to publish-events.
 */
export function createCompleteRunHandler(
  env: Record<string, string | undefined>,
  dependencies: ObserveHandlerDependencies = {},
) {
  const { config, logger, metrics, clock, deps } = shardedRunRuntime(
    env,
    "driftwatch-complete-run",
    dependencies,
  );

  return middy(async (rawEvent: unknown): Promise<CompleteRunResponse> => {
    const event = parseEvent(CompleteRunEvent, rawEvent, "state-machine", logger);
    const summary = await completeEngineRun(deps, {
      catalogueIds: config.catalogueIds,
      manifest: event.manifest,
      reports: event.reports,
      now: new Date(clock()),
    });
    logger.info("sharded run judged", { ...summary });
    return summary;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createCompleteRunHandler(process.env);
