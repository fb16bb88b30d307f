import { type ResolveHostnamesDeps, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import type { ResolveTarget } from "#shared/observe/dns/resolve-targets";
import { summariseRun } from "#shared/observe/dns/summarise-run";
import { hostnamesDigest, type ShardTask } from "./plan-shards";

/** What a shard reports when its observations are saved: the completion step counts these. */
export interface ShardReport {
  runId: string;
  shard: number;
  shardCount: number;
  /** Hostnames whose observation of the run is saved (all of the shard's, or the shard threw). */
  hostnames: number;
  /** sha256 of the shard's hostnames (`hostnamesDigest`). */
  hostnamesDigest: string;
  answered: number;
  failing: number;
  entered: number;
  left: number;
  /** The shard had already been resolved by an earlier attempt: nothing was asked again. */
  duplicate: boolean;
  durationMs: number;
}

export type ResolveShardDeps = ResolveHostnamesDeps;

export class ShardIncompleteError extends Error {
  override readonly name = "ShardIncompleteError";
  constructor(
    readonly runId: string,
    readonly shard: number,
    readonly missing: string[],
  ) {
    super(
      `run ${runId} shard ${shard}: no observation saved for ${missing.length} hostname(s) ` +
        `(${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}); retry the shard`,
    );
  }
}

/**
 * Use case: resolve one shard of a run (the resolve-shard function, or one task of the
 * in-process sharded run).
 *
 * 1. Resolve the shard's hostnames and save their observations under the run's id and
 *    observation time (resolveHostnames: a retried shard resumes, a completed one is reused),
 *    under the shard's own lease (`shard#<n>`: shards write disjoint hostnames at the same
 *    time; a twin of the same shard throws `RunInFlightError`, which the engine retries).
 *    The lease is released when the shard is done: the completion step judges the run.
 * 2. Check that every hostname of the shard has its observation (else throw: the engine retries
 *    the shard, and the run is not judged without it).
 * 3. Report the counts the completion step checks.
 */
export async function resolveShard(
  deps: ResolveShardDeps,
  input: {
    task: ShardTask;
    deadline: number;
    /** Epoch ms: when the invocation ends at the latest (Lambda: now + its remaining time). */
    invocationEnd?: number;
    options?: Partial<ResolveOptions>;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ShardReport> {
  const { task } = input;
  const targets: ResolveTarget[] = task.targets.flatMap((target) =>
    target.policies.map((policy) => ({ hostname: target.hostname, policy })),
  );
  // 1.
  const result = await resolveHostnames(deps, {
    targets,
    runId: task.runId,
    now: new Date(task.observedAt),
    deadline: input.deadline,
    leaseScope: `shard#${task.shard}`,
    ...(input.invocationEnd === undefined ? {} : { leaseUntil: input.invocationEnd }),
    ...(input.options ? { options: input.options } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  await deps.store.releaseRunLease(result.lease).catch((error: unknown) => {
    deps.logger?.warn("releasing the shard's lease failed (it ends by itself)", {
      runId: task.runId,
      shard: task.shard,
      error,
    });
  });
  // 2.
  const observed = new Set(result.observations.map((observation) => observation.hostname));
  const missing = task.targets.map((t) => t.hostname).filter((hostname) => !observed.has(hostname));
  if (missing.length > 0) throw new ShardIncompleteError(task.runId, task.shard, missing);
  // 3.
  const { answered, failing, entered, left } = summariseRun(result.observations);
  return {
    runId: task.runId,
    shard: task.shard,
    shardCount: task.shardCount,
    hostnames: task.targets.length,
    hostnamesDigest: hostnamesDigest(task.targets.map((target) => target.hostname)),
    answered,
    failing,
    entered,
    left,
    duplicate: result.duplicateRun,
    durationMs: result.durationMs,
  };
}
