import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import { summariseRun } from "#shared/observe/dns/summarise-run";
import { archiveRunHistory } from "#shared/record/history-archive";
import type { CatalogueSource } from "../catalogue-source";
import { type Catalogues, loadCatalogues } from "../catalogues";
import { type CompleteShardedRunDeps, completeShardedRun } from "./complete-run";
import {
  manifestOf,
  planShards,
  type RunManifest,
  type ShardPlan,
  type ShardTask,
} from "./plan-shards";
import { type ResolveShardDeps, resolveShard, type ShardReport } from "./resolve-shard";
import {
  type StartShardedRunDeps,
  type StartShardedRunInput,
  startShardedRun,
} from "./start-sharded-run";

/**
 * The three steps of a sharded run on an engine (the Step Functions state machine of
 * serverless.yml): plan, resolve each shard, complete. What travels between them is small: the
 * run's manifest and, per shard, its index and its range of the run's sorted hostnames. Each step
 * reads the catalogue again, so a catalogue of any size never passes through the engine's state.
 */

/** A shard as the engine carries it: hostnames `[start, end)` of the run's sorted targets. */
export interface ShardRef {
  shard: number;
  start: number;
  end: number;
}

/** What the plan step hands the engine: the map runs over `shards`. */
export interface EngineRunPlan {
  manifest: RunManifest;
  shards: ShardRef[];
  /** Earlier runs left unjudged (a failed execution), judged before this one began. */
  backlog: { runId: string; committed: number }[];
}

/**
 * The shard refers to another plan than the catalogue gives now: the catalogue changed since
 * the run was planned, or the ref was not made by `shardRefsOf`. Retrying does not help; the run
 * is not judged and the next run's plan step judges what it saved.
 */
export class ShardPlanMismatchError extends Error {
  override readonly name = "ShardPlanMismatchError";
  constructor(
    readonly runId: string,
    readonly shard: number,
    problem: string,
  ) {
    super(
      `run ${runId} shard ${shard}: ${problem}; the run cannot complete, the next run judges it`,
    );
  }
}

/** Each shard of the plan as its index and range, in shard order. */
export function shardRefsOf(plan: ShardPlan): ShardRef[] {
  let start = 0;
  return plan.shards.map((task) => {
    const ref = { shard: task.shard, start, end: start + task.targets.length };
    start = ref.end;
    return ref;
  });
}

/**
 * The task of a shard, planned again from the catalogue (planShards is deterministic). Throws
 * `ShardPlanMismatchError` when the catalogue's hostnames are not the run's, or the ref is not
 * one of the plan's shards.
 */
export function shardTaskOf(
  catalogue: Catalogues,
  manifest: RunManifest,
  ref: ShardRef,
): ShardTask {
  const mismatch = (problem: string) =>
    new ShardPlanMismatchError(manifest.runId, ref.shard, problem);
  const plan = planShards(
    catalogue,
    { runId: manifest.runId, observedAt: manifest.observedAt },
    { shards: Math.max(1, manifest.shardCount) },
  );
  if (
    plan.hostnamesDigest !== manifest.hostnamesDigest ||
    plan.shardCount !== manifest.shardCount
  ) {
    throw mismatch(
      `the catalogue's ${plan.hostnameCount} hostnames are not the ${manifest.hostnameCount} the run was planned on (changed during the run)`,
    );
  }
  const task = plan.shards[ref.shard];
  const planned = shardRefsOf(plan)[ref.shard];
  if (task === undefined || planned === undefined) {
    throw mismatch(`no shard ${ref.shard} in a plan of ${manifest.shardCount}`);
  }
  if (planned.start !== ref.start || planned.end !== ref.end) {
    throw mismatch(
      `range [${ref.start}, ${ref.end}) is not the planned [${planned.start}, ${planned.end})`,
    );
  }
  return task;
}

/**
 * Use case: the plan step (the plan-run function).
 *
 * 1. Judge what an earlier run left unjudged, begin this run with every hostname and plan its
 *    shards (startShardedRun).
 * 2. Hand the engine the manifest and the shard refs, not the hostnames.
 */
export async function planEngineRun(
  deps: StartShardedRunDeps,
  input: StartShardedRunInput,
): Promise<EngineRunPlan> {
  // 1.
  const started = await startShardedRun(deps, input);
  // 2.
  return {
    manifest: manifestOf(started.plan),
    shards: shardRefsOf(started.plan),
    backlog: started.backlog.map((judged) => ({
      runId: judged.runId,
      committed: judged.drift.committed,
    })),
  };
}

export interface ResolveEngineShardDeps extends ResolveShardDeps {
  catalogues: CatalogueSource;
}

/**
 * Use case: one shard (the resolve-shard function; the engine retries it when it throws).
 *
 * 1. Read the catalogue and plan the shard again from it (`shardTaskOf`).
 * 2. Resolve it and save its observations (resolveShard: a retried shard resumes, a resolved one
 *    is reused), and report it.
 */
export async function resolveEngineShard(
  deps: ResolveEngineShardDeps,
  input: {
    /** The catalogues the run watches (DRIFTWATCH_CATALOGUE_IDS): it is planned on their union. */
    catalogueIds: readonly string[];
    manifest: RunManifest;
    shard: ShardRef;
    deadline: number;
    /** Epoch ms: when the invocation ends at the latest (the shard's lease ends with it). */
    invocationEnd?: number;
    options?: Partial<ResolveOptions>;
  },
): Promise<ShardReport> {
  // 1.
  const catalogue = await loadCatalogues(deps.catalogues, input.catalogueIds);
  const task = shardTaskOf(catalogue, input.manifest, input.shard);
  // 2.
  return resolveShard(deps, {
    task,
    deadline: input.deadline,
    ...(input.invocationEnd === undefined ? {} : { invocationEnd: input.invocationEnd }),
    ...(input.options ? { options: input.options } : {}),
  });
}

export interface CompleteEngineRunDeps extends CompleteShardedRunDeps {
  catalogues: CatalogueSource;
  metrics?: Pick<Metrics, "addMetric">;
}

/** What the completion step returns: the run's summary, as the single-function run gives it. */
export interface CompletedEngineRun {
  runId: string;
  shards: number;
  /** Every shard had been resolved before (a repeated execution): nothing new was asked. */
  duplicateRun: boolean;
  hostnames: number;
  answered: number;
  failing: number;
  entered: number;
  left: number;
  suspicious: number;
  driftEvents: number;
  committed: number;
  allowlistsWritten: string[];
  /** The run's history archive object (`history/dt=…/<runId>.jsonl.gz`), null for an empty run. */
  historyArchive: string | null;
}

/**
 * Use case: the completion step (the complete-run function), once the map is done.
 *
 * 1. Read every catalogue (one missing from the table: fail, judging nothing).
 * 2. Judge the run once over every hostname of their union, each catalogue in turn (completeShardedRun: refuses, and judges nothing,
 *    unless every shard reported and every hostname has its state of the run).
 * 3. Archive the run's observations as JSON Lines (record/history-archive.ts), as the single
 *    function does.
 * 4. Emit the run's metrics (the unresolvable-hostnames alarm watches them) and summarise it.
 */
export async function completeEngineRun(
  deps: CompleteEngineRunDeps,
  input: {
    catalogueIds: readonly string[];
    manifest: RunManifest;
    reports: readonly ShardReport[];
    now: Date;
  },
): Promise<CompletedEngineRun> {
  // 1.
  const catalogue = await loadCatalogues(deps.catalogues, input.catalogueIds);
  // 2.
  const { observations, drift } = await completeShardedRun(deps, {
    catalogue,
    manifest: input.manifest,
    reports: input.reports,
    now: input.now,
  });
  // 3.
  const historyArchive = await archiveRunHistory(deps.archive, observations);
  // 4.
  const summary: CompletedEngineRun = {
    runId: input.manifest.runId,
    shards: input.manifest.shardCount,
    duplicateRun: input.reports.length > 0 && input.reports.every((report) => report.duplicate),
    hostnames: observations.length,
    ...summariseRun(observations),
    driftEvents: drift.events.length,
    committed: drift.committed,
    allowlistsWritten: drift.allowlistsWritten,
    historyArchive,
  };
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    metrics.addMetric("DriftEventsCommitted", MetricUnit.Count, summary.committed);
    metrics.addMetric("HostnamesResolved", MetricUnit.Count, summary.answered);
    metrics.addMetric("HostnamesFailing", MetricUnit.Count, summary.failing);
    const unresolvable = observations.filter((o) => o.outcome !== "answered").length;
    metrics.addMetric("UnresolvableHostnames", MetricUnit.Count, unresolvable);
    metrics.addMetric("SuspiciousAnswers", MetricUnit.Count, summary.suspicious);
  }
  return summary;
}
