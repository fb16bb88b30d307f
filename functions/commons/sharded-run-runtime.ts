import { loadDriftConfig } from "#shared/compare/config";
import { catalogueIdsVariable } from "#shared/config/catalogue-ids";
import { type Env, requiredVariable, wholeNumberVariable } from "#shared/config/env";
import type { CompleteEngineRunDeps } from "#shared/detect/sharded-run/engine-steps";
import type { StartShardedRunDeps } from "#shared/detect/sharded-run/start-sharded-run";
import {
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_INTERVAL_MINUTES,
} from "#shared/observe/dns/config";
import { createObserveRuntime, type ObserveHandlerDependencies } from "./observe-runtime";
import { MAX_SHARDS } from "./sharded-run-events";

export class ShardedRunConfigError extends Error {
  override name = "ShardedRunConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

/** Configuration of the plan and completion steps, read once at cold start. */
export interface ShardedRunConfig {
  tableName: string;
  /** The catalogues watched, in judging order (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: string[];
  historyRetentionDays: number;
  /** The schedule's interval: the run id is the scheduled time truncated to it. */
  intervalMinutes: number;
}

/** The plan step's sharding: at least `shards` shards of at most `maxShardSize` hostnames. */
export interface ShardingConfig {
  shards: number;
  maxShardSize?: number;
}

/**
 * - DRIFTWATCH_TABLE_NAME, DRIFTWATCH_CATALOGUE_IDS (else DRIFTWATCH_CATALOGUE_ID): required.
 * - DRIFTWATCH_HISTORY_RETENTION_DAYS (400), DRIFTWATCH_RESOLVE_INTERVAL_MINUTES (15).
 */
export function loadShardedRunConfig(env: Env): ShardedRunConfig {
  const whole = (name: string, fallback: number, min: number, max: number) =>
    wholeNumberVariable(env, name, { fallback, min, max }, ShardedRunConfigError);
  return {
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", ShardedRunConfigError),
    catalogueIds: catalogueIdsVariable(env, ShardedRunConfigError),
    historyRetentionDays: whole(
      "DRIFTWATCH_HISTORY_RETENTION_DAYS",
      DEFAULT_HISTORY_RETENTION_DAYS,
      1,
      36_500,
    ),
    intervalMinutes: whole(
      "DRIFTWATCH_RESOLVE_INTERVAL_MINUTES",
      DEFAULT_INTERVAL_MINUTES,
      1,
      1_440,
    ),
  };
}

/**
 * - DRIFTWATCH_SHARD_COUNT: required, 1 to MAX_SHARDS (it changes how a run is cut).
 * - DRIFTWATCH_MAX_SHARD_SIZE: optional, hostnames per shard at most (more shards when needed).
 */
export function loadShardingConfig(env: Env): ShardingConfig {
  requiredVariable(env, "DRIFTWATCH_SHARD_COUNT", ShardedRunConfigError);
  const shards = wholeNumberVariable(
    env,
    "DRIFTWATCH_SHARD_COUNT",
    { fallback: 1, min: 1, max: MAX_SHARDS },
    ShardedRunConfigError,
  );
  const maxShardSize = wholeNumberVariable(
    env,
    "DRIFTWATCH_MAX_SHARD_SIZE",
    { fallback: 0, min: 1, max: 1_000_000 },
    ShardedRunConfigError,
  );
  return { shards, ...(maxShardSize > 0 ? { maxShardSize } : {}) };
}

/**
 * What the plan-run and complete-run functions build once, at cold start: their config, the
 * observe runtime (logger, metrics, stores, `judgeDrift`; it commits and never publishes) and the
 * dependencies of planEngineRun and completeEngineRun. No resolver: neither asks DNS.
 */
export function shardedRunRuntime(
  env: Env,
  defaultServiceName: string,
  dependencies: ObserveHandlerDependencies,
) {
  const config = loadShardedRunConfig(env);
  const runtime = createObserveRuntime(
    env,
    {
      defaultServiceName,
      tableName: config.tableName,
      historyRetentionDays: config.historyRetentionDays,
      drift: loadDriftConfig(env),
    },
    dependencies,
  );
  const deps: StartShardedRunDeps & CompleteEngineRunDeps = {
    catalogues: runtime.catalogueSource,
    observations: runtime.stores.observations,
    feedPointers: runtime.stores.feedPointers,
    archive: runtime.stores.archive,
    judgeDrift: runtime.judgeDrift,
    logger: runtime.structuredLogger,
    metrics: runtime.metrics,
  };
  return { config, logger: runtime.logger, metrics: runtime.metrics, clock: runtime.clock, deps };
}
