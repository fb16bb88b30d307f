import type { CatalogueSource } from "../catalogue-source";
import type { Catalogues } from "../catalogues";
import { loadCatalogues } from "../catalogues";
import { type JudgedBacklog, type JudgeUnjudgedDeps, judgeUnjudged } from "../judge-unjudged";
import {
  beginShardedRun,
  type RunBeginning,
  type ShardingOptions,
  type ShardPlan,
  shardingOf,
} from "./plan-shards";

export interface StartShardedRunDeps extends JudgeUnjudgedDeps {
  catalogues: CatalogueSource;
  observations: JudgeUnjudgedDeps["observations"] & RunBeginning;
}

export interface StartShardedRunInput extends ShardingOptions {
  /** The catalogues watched (DRIFTWATCH_CATALOGUE_IDS): the run resolves their union. */
  catalogueIds: readonly string[];
  /** The scheduled run's id: each delivery of the same schedule is the same run. */
  runId: string;
  /** The run's observation time, shared by every shard. */
  now: Date;
}

export interface StartedShardedRun {
  catalogue: Catalogues;
  plan: ShardPlan;
  /** Earlier runs left unjudged (a failed execution, an interrupted one), judged first. */
  backlog: JudgedBacklog[];
}

/**
 * Use case: the first step of a sharded run (the start-run function).
 *
 * 1. Read every catalogue (one missing from the table: fail, judging nothing).
 * 2. Judge any earlier run left unjudged (an execution whose shard failed for good, or that died
 *    before its completion): what it saved is judged, a hostname it did not save is standing
 *    state, so nothing is raised twice and nothing reads as removed.
 * 3. Begin the run with every hostname and plan the shards (beginShardedRun: deterministic, so
 *    a repeated start plans the same shards, at the first start's observation time).
 */
export async function startShardedRun(
  deps: StartShardedRunDeps,
  input: StartShardedRunInput,
): Promise<StartedShardedRun> {
  // 1.
  const catalogue = await loadCatalogues(deps.catalogues, input.catalogueIds);
  // 2.
  const backlog = await judgeUnjudged(deps, {
    catalogue: async () => catalogue,
    dnsRuns: true,
    feeds: [],
    exceptRunId: input.runId,
  });
  // 3.
  const plan = await beginShardedRun(deps.observations, {
    catalogue,
    runId: input.runId,
    now: input.now,
    sharding: shardingOf(input),
  });
  return { catalogue, plan, backlog };
}
