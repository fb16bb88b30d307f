import type { HostObservation } from "#shared/domain/observation";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import type { Catalogues } from "../catalogues";
import { type JudgeDnsRunDeps, judgeDnsRun } from "../judge-dns-run";
import type { JudgeDriftResult } from "../judge-drift";
import { hostnamesDigest, type RunManifest, runTargets } from "./plan-shards";
import type { ShardReport } from "./resolve-shard";

/**
 * Reads every hostname's state as of a run (the observation store's `observationsOfRun`): the
 * revision the run wrote, or the one before it that the run confirmed.
 */
export interface RunObservationsReader {
  observationsOfRun(run: DnsRun, hostnames: string[]): Promise<Map<string, HostObservation>>;
}

/**
 * The run is not complete: a shard has not reported, reported twice or for another run, the
 * catalogue changed since the run was planned, or a hostname has no observation of the run. The
 * completion refuses to judge: a missing hostname must never read as one whose IPs all left.
 */
export class IncompleteShardedRunError extends Error {
  override readonly name = "IncompleteShardedRunError";
  constructor(
    readonly runId: string,
    readonly problem: string,
  ) {
    super(`run ${runId} is not complete, not judged: ${problem}`);
  }
}

function listed(items: readonly (string | number)[]): string {
  return `${items.slice(0, 5).join(", ")}${items.length > 5 ? `, … (${items.length})` : ""}`;
}

/** Throws `IncompleteShardedRunError` unless each shard of the manifest reported once, whole. */
export function checkShardReports(manifest: RunManifest, reports: readonly ShardReport[]): void {
  const fail = (problem: string) => new IncompleteShardedRunError(manifest.runId, problem);
  const foreign = reports.filter(
    (r) => r.runId !== manifest.runId || r.shardCount !== manifest.shardCount,
  );
  if (foreign.length > 0) {
    throw fail(
      `${foreign.length} report(s) of another run or plan (shards ${listed(foreign.map((r) => r.shard))})`,
    );
  }
  const seen = new Map<number, number>();
  for (const report of reports) seen.set(report.shard, (seen.get(report.shard) ?? 0) + 1);
  const indexes = Array.from({ length: manifest.shardCount }, (_, shard) => shard);
  const missing = indexes.filter((shard) => !seen.has(shard));
  if (missing.length > 0) throw fail(`no report from shard(s) ${listed(missing)}`);
  const twice = [...seen].filter(([, count]) => count > 1).map(([shard]) => shard);
  const unknown = [...seen.keys()].filter(
    (shard) => !Number.isInteger(shard) || shard < 0 || shard >= manifest.shardCount,
  );
  if (twice.length > 0 || unknown.length > 0) {
    throw fail(`unexpected reports (repeated ${listed(twice)}; unknown ${listed(unknown)})`);
  }
  const hostnames = reports.reduce((sum, report) => sum + report.hostnames, 0);
  if (hostnames !== manifest.hostnameCount) {
    throw fail(`the shards saved ${hostnames} of ${manifest.hostnameCount} hostnames`);
  }
}

/**
 * Every hostname's state as of the run, in hostname order, once every shard is in. Throws
 * `IncompleteShardedRunError` when the catalogue's hostnames are not the ones the run was planned
 * on, or when one has no observation (never judged as absent).
 */
export async function collectRunObservations(
  store: RunObservationsReader,
  input: { catalogue: Catalogues; manifest: RunManifest },
): Promise<HostObservation[]> {
  const { manifest } = input;
  const hostnames = runTargets(input.catalogue).map((target) => target.hostname);
  if (hostnamesDigest(hostnames) !== manifest.hostnamesDigest) {
    throw new IncompleteShardedRunError(
      manifest.runId,
      `the catalogue's ${hostnames.length} hostnames are not the ${manifest.hostnameCount} the run was planned on (changed during the run); the next run judges it`,
    );
  }
  const run = { runId: manifest.runId, observedAt: manifest.observedAt, hostnames };
  const observed = await store.observationsOfRun(run, hostnames);
  const missing = hostnames.filter((hostname) => !observed.has(hostname));
  if (missing.length > 0) {
    throw new IncompleteShardedRunError(
      manifest.runId,
      `no observation of the run for ${missing.length} hostname(s): ${listed(missing)}`,
    );
  }
  return hostnames.map((hostname) => observed.get(hostname) as HostObservation);
}

export interface CompleteShardedRunDeps extends Omit<JudgeDnsRunDeps, "runs"> {
  observations: RunObservationsReader & JudgeDnsRunDeps["runs"];
}

/**
 * Use case: judge a sharded run once, when every shard is in (the complete-run function).
 *
 * 1. Check that every shard of the plan reported success, once (`checkShardReports`).
 * 2. Read every hostname's state as of the run; refuse when one is missing or the catalogue
 *    changed (`collectRunObservations`).
 * 3. Judge the run over all hostnames (judgeDnsRun): commit, rewrite allowlists, mark it judged.
 *
 * Refusing leaves the run unjudged: its saved observations are judged by the next run's backlog
 * step (judge-unjudged.ts), which fills a hostname without one in as standing state.
 */
export async function completeShardedRun(
  deps: CompleteShardedRunDeps,
  input: {
    catalogue: Catalogues;
    manifest: RunManifest;
    reports: readonly ShardReport[];
    now: Date;
  },
): Promise<{ observations: HostObservation[]; drift: JudgeDriftResult }> {
  // 1.
  checkShardReports(input.manifest, input.reports);
  // 2.
  const observations = await collectRunObservations(deps.observations, input);
  // 3.
  const drift = await judgeDnsRun(
    { ...deps, runs: deps.observations },
    { catalogue: input.catalogue, observations, runId: input.manifest.runId, now: input.now },
  );
  return { observations, drift };
}
