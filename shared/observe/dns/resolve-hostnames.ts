import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  advanceRunObservations,
  type RunObservations,
} from "#shared/observe/dns/advance-run-observations";
import {
  type DnsRun,
  type ObservationStore,
  RUN_LEASE_MARGIN_MS,
  type RunLease,
} from "#shared/observe/dns/observation-store";
import { type ResolveOptions, resolveOptions } from "#shared/observe/dns/resolve-options";
import { hostnamePolicies, type ResolveTarget } from "#shared/observe/dns/resolve-targets";
import { type DnsResolver, RUN_DEADLINE } from "#shared/observe/dns/resolver";
import { sampleAll, type Timing } from "#shared/observe/dns/sample-server";
import { summariseRun } from "#shared/observe/dns/summarise-run";

/**
 * Use case: resolve every hostname of the catalogue and record what was seen.
 *
 * 1. Group the targets by hostname; each gets the longest grace of its policies.
 * 2. Record the run (conditional on its id) and take its lease (per scope: the run, or one
 *    shard of it). A twin holding it live: throw `RunInFlightError`, nothing written. A
 *    repeated invocation of a completed run returns the stored observations and writes
 *    nothing; an interrupted one (its lease expired, taken over) resumes where it stopped, with
 *    the first attempt's observation time.
 * 3. Read each remaining hostname's state just before this run.
 * 4. Ask every resolver for A, AAAA and the CNAME chain, with bounded concurrency, retries with
 *    backoff for transient failures, and more samples of every name that answered (round robin);
 *    nothing is asked past the deadline, what is left is a `timeout` ("run deadline").
 * 5. Distrust a resolver's NODATA answers when they would empty most names that had addresses
 *    (implausible-absence.ts: they become failures, which remove nothing) and the addresses it
 *    served for hostnames of many registered domains (sinkhole.ts: suspicious, like private ones), then
 *    advance each hostname's observation window with the merged answers (pure:
 *    `advanceRunObservations`).
 * 6. Save the observations not saved yet, in batches, under the lease (nobody else writes them).
 *
 * A failure after 2 releases the lease (a retry takes it at once); on success the lease is in
 * the result and stays live until the caller has judged the run (then `releaseRunLease`) or
 * until its end: a twin arriving meanwhile judges nothing.
 */

/** Structured logging, as Powertools' Logger does it. */
export interface RunLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface ResolveHostnamesDeps {
  resolver: DnsResolver;
  store: ObservationStore;
  logger?: RunLogger;
  /** Epoch-ms clock for the deadline and the duration (default Date.now). */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ResolveHostnamesInput {
  /** The hostnames with their policies, or the catalogue to take them from. */
  targets: readonly ResolveTarget[] | Catalogue;
  runId: string;
  /** The run's observation time. */
  now: Date;
  /** Epoch ms: no DNS query is asked after it. */
  deadline: number;
  /**
   * Epoch ms: the latest this invocation can still write (Lambda: now + its remaining time, as
   * it cannot outlive its timeout). Default: the deadline + `LOCAL_WRITE_ALLOWANCE_MS`, renewed
   * while the run writes. The lease ends `RUN_LEASE_MARGIN_MS` after it.
   */
  leaseUntil?: number;
  /** The lease's scope: `"run"` (default), or `"shard#<n>"` for one shard of a sharded run. */
  leaseScope?: string;
  options?: Partial<ResolveOptions>;
  onProgress?: (done: number, total: number) => void;
}

export interface ResolveHostnamesResult {
  runId: string;
  /** One per hostname, sorted by hostname. */
  observations: HostObservation[];
  /** The run had already been completed by an earlier invocation: nothing was resolved. */
  duplicateRun: boolean;
  /** Observations taken over from an earlier, interrupted invocation of the same run. */
  reused: number;
  durationMs: number;
  /** The run's lease, still held: release it when the run is judged (or let it end). */
  lease: RunLease;
}

/** Without `leaseUntil`, how long after the deadline a local run may still write. */
export const LOCAL_WRITE_ALLOWANCE_MS = 10 * 60_000;

/**
 * Another invocation of the run (a twin delivery) holds its lease live: it is writing the run's
 * observations and will judge them; this one wrote nothing and must judge nothing.
 */
export class RunInFlightError extends Error {
  override name = "RunInFlightError";
  constructor(
    readonly runId: string,
    readonly scope: string,
    readonly until: number,
  ) {
    super(
      `run ${runId} (${scope}) is being written by another invocation until ${new Date(until).toISOString()}; this one writes and judges nothing`,
    );
  }
}

export class ObservationSaveError extends Error {
  override name = "ObservationSaveError";
  constructor(
    readonly runId: string,
    readonly hostnames: string[],
    options: { cause: unknown },
  ) {
    super(
      `run ${runId}: ${hostnames.length} observation(s) could not be saved (${hostnames.slice(0, 5).join(", ")}${hostnames.length > 5 ? ", …" : ""}); retry the run`,
      options,
    );
  }
}

export async function resolveHostnames(
  deps: ResolveHostnamesDeps,
  input: ResolveHostnamesInput,
): Promise<ResolveHostnamesResult> {
  const clock = deps.clock ?? Date.now;
  const started = clock();

  // 1.
  const policies = hostnamePolicies(input.targets);
  const hostnames = [...policies.keys()];

  // 2.
  const begun = await beginOrResumeRun(deps.store, input, hostnames);
  const { run, saved, remaining, lease } = begun;
  try {
    if (!begun.created && remaining.length === 0) {
      deps.logger?.info("dns run already completed", {
        runId: run.runId,
        hostnames: hostnames.length,
      });
      input.onProgress?.(hostnames.length, hostnames.length);
      return {
        runId: run.runId,
        observations: hostnames.map((hostname) => saved.get(hostname) as HostObservation),
        duplicateRun: true,
        reused: saved.size,
        durationMs: clock() - started,
        lease,
      };
    }
    if (!begun.created) {
      deps.logger?.warn("resuming an interrupted dns run", {
        runId: run.runId,
        saved: saved.size,
        remaining: remaining.length,
        tookOver: begun.tookOver,
      });
    }
    // 3. to 6.
    await observeAndSave(deps, input, { run, saved, remaining, policies, lease });
  } catch (error) {
    await deps.store.releaseRunLease(lease).catch(() => {});
    throw error;
  }

  const result = hostnames.map((hostname) => saved.get(hostname) as HostObservation);
  const durationMs = clock() - started;
  deps.logger?.info("dns run recorded", {
    runId: run.runId,
    hostnames: hostnames.length,
    ...summariseRun(result),
    deadlineHit: result.filter((o) => o.answers.some((a) => a.detail === RUN_DEADLINE)).length,
    durationMs,
  });
  return {
    runId: run.runId,
    observations: result,
    duplicateRun: false,
    reused: hostnames.length - remaining.length,
    durationMs,
    lease,
  };
}

/** Steps 3 to 6: the remaining hostnames' previous state, their answers, saved into `saved`. */
async function observeAndSave(
  deps: ResolveHostnamesDeps,
  input: ResolveHostnamesInput,
  begun: {
    run: DnsRun;
    saved: Map<string, HostObservation>;
    remaining: string[];
    policies: ReturnType<typeof hostnamePolicies>;
    lease: RunLease;
  },
): Promise<void> {
  const { run, saved, remaining } = begun;
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const options = resolveOptions(input.options);
  const total = begun.policies.size;

  // 3.
  const position = { runId: run.runId, observedAt: run.observedAt };
  const previous = await deps.store.previousObservations(remaining, position);

  // 4.
  let done = saved.size;
  input.onProgress?.(done, total);
  const timing = { deadline: input.deadline, clock, sleep };
  const answers = await resolveAll(deps.resolver, remaining, options, timing, () => {
    done++;
    input.onProgress?.(done, total);
  });

  // 5.
  const observed = advanceRunObservations({
    runId: run.runId,
    observedAt: new Date(run.observedAt),
    remaining,
    answers,
    previous,
    saved,
    policies: begun.policies,
    options,
  });
  logDistrusted(deps.logger, run.runId, observed);

  // 6. (a hostname seen as its previous state says only confirms that revision)
  await saveObservations(deps, begun.lease, observed.observations, saved, previous);
}

/**
 * Step 2: records the run (conditional on its id) and takes its lease. When an earlier
 * invocation recorded it, the observations it saved (the run's `observedAt` is the first
 * attempt's) and what remains. Throws `RunInFlightError` when a twin holds the lease.
 */
async function beginOrResumeRun(
  store: ObservationStore,
  input: ResolveHostnamesInput,
  hostnames: string[],
): Promise<{
  created: boolean;
  run: DnsRun;
  saved: Map<string, HostObservation>;
  remaining: string[];
  lease: RunLease;
  tookOver: boolean;
}> {
  const { created, run } = await store.beginRun({
    runId: input.runId,
    observedAt: input.now.toISOString(),
    hostnames,
  });
  const scope = input.leaseScope ?? "run";
  const writableUntil = input.leaseUntil ?? input.deadline + LOCAL_WRITE_ALLOWANCE_MS;
  const outcome = await store.takeRunLease({
    runId: run.runId,
    scope,
    until: writableUntil + RUN_LEASE_MARGIN_MS,
  });
  if (!outcome.taken) throw new RunInFlightError(run.runId, scope, outcome.until);
  const position = { runId: run.runId, observedAt: run.observedAt };
  const saved =
    created && !outcome.tookOver
      ? new Map<string, HostObservation>()
      : await store.savedObservations(position, hostnames);
  return {
    created,
    run,
    saved,
    remaining: hostnames.filter((hostname) => !saved.has(hostname)),
    lease: outcome.lease,
    tookOver: outcome.tookOver,
  };
}

/** Step 4: every hostname at every resolver, with bounded concurrency; `onResolved` per hostname. */
async function resolveAll(
  resolver: DnsResolver,
  hostnames: readonly string[],
  options: ResolveOptions,
  timing: Timing,
  onResolved: () => void,
): Promise<Map<string, ResolverAnswer[]>> {
  const { servers } = resolver;
  const targets = hostnames.flatMap((hostname) => servers.map((server) => ({ hostname, server })));
  // Each hostname's answers by server, in the servers' order, and how many are still to come.
  const perServer = hostnames.map(() => new Array<ResolverAnswer>(servers.length));
  const missing = hostnames.map(() => servers.length);
  const answers = new Map<string, ResolverAnswer[]>();
  await sampleAll(resolver, targets, options, timing, (index, answer) => {
    const at = Math.floor(index / servers.length);
    (perServer[at] as ResolverAnswer[])[index % servers.length] = answer;
    missing[at] = (missing[at] as number) - 1;
    if (missing[at] !== 0) return;
    answers.set(hostnames[at] as string, perServer[at] as ResolverAnswer[]);
    onResolved();
  });
  return answers;
}

/** Logs what the guards of step 5 did not believe. */
function logDistrusted(
  logger: RunLogger | undefined,
  runId: string,
  observed: RunObservations,
): void {
  for (const verdict of observed.distrusted) {
    logger?.warn("resolver's NODATA answers not trusted as absence", {
      runId,
      resolver: verdict.resolver,
      family: verdict.family,
      emptied: verdict.emptied.length,
      eligible: verdict.eligible,
      hostnames: verdict.emptied.slice(0, 20),
    });
  }
  for (const sinkhole of observed.sinkholes) {
    logger?.warn("resolver serves one address for unrelated hostnames: a sinkhole", {
      runId,
      resolver: sinkhole.resolver,
      ip: sinkhole.ip,
      hostnames: sinkhole.hostnames.length,
      domains: sinkhole.domains.length,
    });
  }
}

/**
 * Step 6: saves the observations under the lease into `saved`. Throws `ObservationSaveError`
 * naming those not saved (the run stays unjudged; its last good state is untouched).
 */
async function saveObservations(
  deps: ResolveHostnamesDeps,
  lease: RunLease,
  observations: readonly HostObservation[],
  saved: Map<string, HostObservation>,
  previous: ReadonlyMap<string, HostObservation>,
): Promise<void> {
  const result = await deps.store
    .saveObservations(observations, lease, previous)
    .catch((error: unknown) => ({
      saved: [] as HostObservation[],
      failed: observations.map((observation) => ({ hostname: observation.hostname, error })),
    }));
  for (const observation of result.saved) saved.set(observation.hostname, observation);
  if (result.failed.length > 0) {
    const failed = result.failed.map((f) => f.hostname).sort();
    deps.logger?.warn("dns observations not saved", { runId: lease.runId, hostnames: failed });
    throw new ObservationSaveError(lease.runId, failed, { cause: result.failed[0]?.error });
  }
}
