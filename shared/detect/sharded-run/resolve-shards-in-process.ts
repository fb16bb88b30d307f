import type { HostObservation } from "#shared/domain/observation";
import { createLimiter } from "#shared/observe/dns/limiter";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import type { Catalogues } from "../catalogues";
import {
  checkShardReports,
  collectRunObservations,
  type RunObservationsReader,
} from "./complete-run";
import {
  beginShardedRun,
  manifestOf,
  type RunBeginning,
  type ShardingOptions,
  type ShardPlan,
  shardingOf,
} from "./plan-shards";
import { type ResolveShardDeps, resolveShard, type ShardReport } from "./resolve-shard";

export interface InProcessShardsDeps extends ResolveShardDeps {
  observations: RunObservationsReader & RunBeginning;
}

export interface InProcessShardsInput extends ShardingOptions {
  catalogue: Catalogues;
  runId: string;
  now: Date;
  deadline: number;
  /** Shards resolved at once (1: one after the other). Default 1. */
  concurrency?: number;
  options?: Partial<ResolveOptions>;
  /** Hostnames resolved so far over all shards, of the run's total. */
  onProgress?: (done: number, total: number) => void;
}

export interface InProcessShardsResult {
  plan: ShardPlan;
  reports: ShardReport[];
  /** Every hostname's state as of the run, in hostname order: what the run judges. */
  observations: HostObservation[];
  /** Every shard had already been resolved (a repeated run): nothing was asked. */
  duplicateRun: boolean;
}

/**
 * The sharded run in one process (`driftwatch detect --shards N`): the same use cases the state
 * machine runs, with a limiter in place of the engine's map.
 *
 * 1. Begin the run with all its hostnames and plan the shards (beginShardedRun).
 * 2. Resolve each shard (resolveShard), `concurrency` at a time. The first shard that throws
 *    rejects the run: nothing is judged, and what the other shards saved stays unjudged.
 * 3. Check every shard reported and read every hostname's state as of the run.
 */
export async function resolveShardsInProcess(
  deps: InProcessShardsDeps,
  input: InProcessShardsInput,
): Promise<InProcessShardsResult> {
  // 1.
  const plan = await beginShardedRun(deps.observations, {
    catalogue: input.catalogue,
    runId: input.runId,
    now: input.now,
    sharding: shardingOf(input),
  });
  // 2.
  const limit = createLimiter(input.concurrency ?? 1);
  const done = plan.shards.map(() => 0);
  const progress = (shard: number) => (count: number) => {
    done[shard] = count;
    input.onProgress?.(
      done.reduce((sum, n) => sum + n, 0),
      plan.hostnameCount,
    );
  };
  const reports = await Promise.all(
    plan.shards.map((task) =>
      limit(() =>
        resolveShard(deps, {
          task,
          deadline: input.deadline,
          ...(input.options ? { options: input.options } : {}),
          onProgress: progress(task.shard),
        }),
      ),
    ),
  );
  // 3.
  const manifest = manifestOf(plan);
  checkShardReports(manifest, reports);
  const observations = await collectRunObservations(deps.observations, {
    catalogue: input.catalogue,
    manifest,
  });
  return {
    plan,
    reports,
    observations,
    duplicateRun: reports.length > 0 && reports.every((report) => report.duplicate),
  };
}
