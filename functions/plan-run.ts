import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { parseEvent, ScheduledEvent, scheduledTime } from "#functions/commons/events";
import type { ObserveHandlerDependencies } from "#functions/commons/observe-runtime";
import { loadShardingConfig, shardedRunRuntime } from "#functions/commons/sharded-run-runtime";
import { type EngineRunPlan, planEngineRun } from "#shared/detect/sharded-run/engine-steps";
import { runIdFor } from "#shared/observe/dns/run-id-for";

export type PlanRunResponse = EngineRunPlan;

/**
 * The first state of the sharded run's state machine, started by the EventBridge schedule (the
 * execution's input is the scheduled event). Judges what an earlier execution left unjudged,
 * begins the run with every hostname and returns its manifest and shard refs (index and range,
 * never the hostnames: the state stays small at any catalogue size). The run id is the scheduled
 * time truncated to the interval, as in resolve-hostnames: a duplicated schedule delivery starts
 * a second execution of the same run, which reuses what the first saved.
 */
export function createPlanRunHandler(
  env: Record<string, string | undefined>,
  dependencies: ObserveHandlerDependencies = {},
) {
  const { config, logger, metrics, clock, deps } = shardedRunRuntime(
    env,
    "driftwatch-plan-run",
    dependencies,
  );
  const sharding = loadShardingConfig(env);

  return middy(async (rawEvent: unknown): Promise<PlanRunResponse> => {
    const event = parseEvent(ScheduledEvent, rawEvent, "schedule", logger);
    const runId = runIdFor(scheduledTime(event, new Date(clock()), logger), config.intervalMinutes);
    const plan = await planEngineRun(deps, {
      catalogueIds: config.catalogueIds,
      runId,
      now: new Date(clock()),
      ...sharding,
    });
    logger.info("sharded run planned", {
      runId,
      shards: plan.manifest.shardCount,
      hostnames: plan.manifest.hostnameCount,
      backlog: plan.backlog.length,
    });
    return plan;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createPlanRunHandler(process.env);
