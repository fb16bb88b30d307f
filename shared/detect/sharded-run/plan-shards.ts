import { createHash } from "node:crypto";
import type { ExpectationPolicy } from "#shared/catalogue/schema";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { hostnamePolicies, targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";
import { type Catalogues, catalogueList } from "../catalogues";

/** One hostname of a shard with the policies of every endpoint naming it. */
export interface ShardTarget {
  hostname: string;
  policies: ExpectationPolicy[];
}

/** What one shard resolves: the unit of work the engine retries. */
export interface ShardTask {
  runId: string;
  /** The run's observation time: every shard saves its observations under it. */
  observedAt: string;
  /** 0-based. */
  shard: number;
  shardCount: number;
  /** Sorted by hostname; the shards of a run are disjoint and cover every resolvable hostname. */
  targets: ShardTarget[];
}

/** What the completion step needs of a run's plan to tell whether every shard is in. */
export interface RunManifest {
  runId: string;
  observedAt: string;
  shardCount: number;
  hostnameCount: number;
  /** sha256 of the sorted hostnames (`hostnamesDigest`): the catalogue the run was planned on. */
  hostnamesDigest: string;
}

export interface ShardPlan extends RunManifest {
  shards: ShardTask[];
}

export interface ShardingOptions {
  /** At least this many shards (fewer only when there are fewer hostnames). Default 1. */
  shards?: number;
  /** At most this many hostnames per shard: more shards are planned when needed. */
  maxShardSize?: number;
}

export class ShardingOptionsError extends Error {
  override readonly name = "ShardingOptionsError";
}

/** sha256 hex of the hostnames, sorted, one per line. */
export function hostnamesDigest(hostnames: readonly string[]): string {
  return createHash("sha256")
    .update([...hostnames].sort().join("\n"))
    .digest("hex");
}

/**
 * The catalogues' resolvable hostnames (lower-cased, sorted, each once) with the policies of
 * every endpoint naming them, in any of the catalogues.
 */
export function runTargets(catalogue: Catalogues): ShardTarget[] {
  const targets = catalogueList(catalogue).flatMap(targetsFromCatalogue);
  return [...hostnamePolicies(targets)].map(([hostname, policies]) => ({ hostname, policies }));
}

/**
 * Splits a run of the catalogue into shards, deterministically: the resolvable hostnames, sorted,
 * cut into `count` contiguous ranges whose sizes differ by at most one, where `count` is the
 * larger of `options.shards` and what `maxShardSize` needs (never more than the hostnames). The
 * same catalogue and options always give the same shards; a hostname is in exactly one.
 */
export function planShards(
  catalogue: Catalogues,
  run: { runId: string; observedAt: string },
  options: ShardingOptions = {},
): ShardPlan {
  const requested = options.shards ?? 1;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new ShardingOptionsError(`shards must be a positive integer, got ${requested}`);
  }
  const maxSize = options.maxShardSize;
  if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 1)) {
    throw new ShardingOptionsError(`maxShardSize must be a positive integer, got ${maxSize}`);
  }
  const targets = runTargets(catalogue);
  const total = targets.length;
  const needed = maxSize === undefined ? 1 : Math.ceil(total / maxSize);
  const count = Math.min(Math.max(requested, needed), total);
  const shards: ShardTask[] = Array.from({ length: count }, (_, shard) => ({
    runId: run.runId,
    observedAt: run.observedAt,
    shard,
    shardCount: count,
    targets: targets.slice(
      Math.floor((shard * total) / count),
      Math.floor(((shard + 1) * total) / count),
    ),
  }));
  return {
    runId: run.runId,
    observedAt: run.observedAt,
    shardCount: count,
    hostnameCount: total,
    hostnamesDigest: hostnamesDigest(targets.map((target) => target.hostname)),
    shards,
  };
}

/** The plan without its shards: what travels from the start step to the completion step. */
export function manifestOf(plan: ShardPlan): RunManifest {
  const { shards: _shards, ...manifest } = plan;
  return manifest;
}

/** The part of the observation store that begins a run. */
export interface RunBeginning {
  beginRun(run: DnsRun): Promise<{ created: boolean; run: DnsRun }>;
}

/**
 * Begins the run with every hostname of the catalogue, then plans its shards under the run's
 * observation time: the first start's, when the run was begun before (a repeated start plans
 * the same shards at the same time). Each shard then finds the run begun and resumes it.
 */
export async function beginShardedRun(
  store: RunBeginning,
  input: { catalogue: Catalogues; runId: string; now: Date; sharding?: ShardingOptions },
): Promise<ShardPlan> {
  const hostnames = runTargets(input.catalogue).map((target) => target.hostname);
  const { run } = await store.beginRun({
    runId: input.runId,
    observedAt: input.now.toISOString(),
    hostnames,
  });
  return planShards(
    input.catalogue,
    { runId: run.runId, observedAt: run.observedAt },
    input.sharding,
  );
}

/** The sharding options of a larger input, without the keys it leaves undefined. */
export function shardingOf(input: ShardingOptions): ShardingOptions {
  return {
    ...(input.shards === undefined ? {} : { shards: input.shards }),
    ...(input.maxShardSize === undefined ? {} : { maxShardSize: input.maxShardSize }),
  };
}
