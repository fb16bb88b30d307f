import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { parseEvent } from "#functions/commons/events";
import type { ObserveHandlerDependencies } from "#functions/commons/observe-runtime";
import { resolveHostnamesRuntime } from "#functions/commons/resolve-hostnames-runtime";
import { ResolveShardEvent } from "#functions/commons/sharded-run-events";
import { resolveEngineShard } from "#shared/detect/sharded-run/engine-steps";
import type { ShardReport } from "#shared/detect/sharded-run/resolve-shard";

export type ResolveShardResponse = ShardReport;

/**
 * One item of the sharded run's map: resolves one shard's hostnames and saves their
 * observations under the run (resolveEngineShard), with the DNS settings of resolve-hostnames.
 * It throws when a hostname of the shard has no saved observation: the state machine retries
 * the shard with backoff, and a shard that still fails fails the execution, so the run is never
 * judged without it (a missing shard never reads as "all IPs removed").
 */
export function createResolveShardHandler(
  env: Record<string, string | undefined>,
  dependencies: ObserveHandlerDependencies = {},
) {
  const { config, logger, metrics, deps, options } = resolveHostnamesRuntime(env, dependencies);

  return middy(async (rawEvent: unknown, context: Context): Promise<ResolveShardResponse> => {
    const event = parseEvent(ResolveShardEvent, rawEvent, "state-machine", logger);
    // The invocation cannot outlive its timeout: the shard's lease ends with it (plus a margin).
    const invocationEnd = deps.clock() + context.getRemainingTimeInMillis();
    const deadline = invocationEnd - config.deadlineMarginMs;
    const report = await resolveEngineShard(
      {
        resolver: deps.resolver,
        store: deps.observations,
        logger: deps.logger,
        clock: deps.clock,
        catalogues: deps.catalogues,
      },
      {
        catalogueIds: config.catalogueIds,
        manifest: event.manifest,
        shard: event.shard,
        deadline,
        invocationEnd,
        options,
      },
    );
    logger.info("shard resolved", { ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createResolveShardHandler(process.env);
