import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  advanceRunObservations,
  type RunObservations,
} from "#shared/observe/dns/advance-run-observations";
import { createLimiter } from "#shared/observe/dns/limiter";
import type { DnsRun, ObservationStore } from "#shared/observe/dns/observation-store";
import { type ResolveOptions, resolveOptions } from "#shared/observe/dns/resolve-options";
import { hostnamePolicies, type ResolveTarget } from "#shared/observe/dns/resolve-targets";
import { type DnsResolver, RUN_DEADLINE } from "#shared/observe/dns/resolver";
import { sampleServer, type Timing } from "#shared/observe/dns/sample-server";
import { summariseRun } from "#shared/observe/dns/summarise-run";

/**
 * Use case: resolve every hostname of the catalogue and record what was seen.
 *
 * 1. Group the targets by hostname; each gets the longest grace of its policies.
 * 2. Record the run (conditional on its id). A repeated invocation of a completed run returns
 *    the stored observations and writes nothing; an interrupted one resumes where it stopped,
 *    with the first attempt's observation time.
 * 3. Read each remaining hostname's state just before this run.
 * 4. Ask every resolver for A, AAAA and the CNAME chain, with bounded concurrency, retries with
 *    backoff for transient failures, and more samples of every name that answered (round robin);
 *    nothing is asked past the deadline, what is left is a `timeout` ("run deadline").
 * 5. Distrust a resolver's NODATA answers when they would empty most names that had addresses
 *    (implausible-absence.ts: they become failures, which remove nothing) and the addresses it
 *    served for hostnames of many registered domains (sinkhole.ts: suspicious, like private ones), then
 *    advance each hostname's observation window with the merged answers (pure:
 *    `advanceRunObservations`).
 * 6. Save one observation per hostname (conditional: a concurrent twin cannot double-count).
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
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const started = clock();
  const options = resolveOptions(input.options);

  // 1.
  const policies = hostnamePolicies(input.targets);
  const hostnames = [...policies.keys()];

  // 2.
  const { created, run, saved, remaining } = await beginOrResumeRun(deps.store, input, hostnames);
  if (!created && remaining.length === 0) {
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
    };
  }
  if (!created) {
    deps.logger?.warn("resuming an interrupted dns run", {
      runId: run.runId,
      saved: saved.size,
      remaining: remaining.length,
    });
  }

  // 3.
  const position = { runId: run.runId, observedAt: run.observedAt };
  const previous = await deps.store.previousObservations(remaining, position);

  // 4.
  let done = saved.size;
  input.onProgress?.(done, hostnames.length);
  const timing = { deadline: input.deadline, clock, sleep };
  const answers = await resolveAll(deps.resolver, remaining, options, timing, () => {
    done++;
    input.onProgress?.(done, hostnames.length);
  });

  // 5.
  const observed = advanceRunObservations({
    runId: run.runId,
    observedAt: new Date(run.observedAt),
    remaining,
    answers,
    previous,
    saved,
    policies,
    options,
  });
  logDistrusted(deps.logger, run.runId, observed);

  // 6.
  await saveObservations(deps, run.runId, observed.observations, saved);

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
  };
}

/**
 * Step 2: records the run, conditional on its id. When an earlier invocation recorded it, the
 * observations it saved (the run's `observedAt` is the first attempt's) and what remains.
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
}> {
  const { created, run } = await store.beginRun({
    runId: input.runId,
    observedAt: input.now.toISOString(),
    hostnames,
  });
  const position = { runId: run.runId, observedAt: run.observedAt };
  const saved = created
    ? new Map<string, HostObservation>()
    : await store.savedObservations(position, hostnames);
  return { created, run, saved, remaining: hostnames.filter((hostname) => !saved.has(hostname)) };
}

/** Step 4: every hostname at every resolver, with bounded concurrency; `onResolved` per hostname. */
async function resolveAll(
  resolver: DnsResolver,
  hostnames: readonly string[],
  options: ResolveOptions,
  timing: Timing,
  onResolved: () => void,
): Promise<Map<string, ResolverAnswer[]>> {
  const limit = createLimiter(options.concurrency);
  const answers = new Map<string, ResolverAnswer[]>();
  await Promise.all(
    hostnames.map(async (hostname) => {
      const perServer = await Promise.all(
        resolver.servers.map((server) =>
          sampleServer(resolver, limit, { hostname, server }, options, timing),
        ),
      );
      answers.set(hostname, perServer);
      onResolved();
    }),
  );
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
 * Step 6: saves each observation (conditional: a concurrent twin cannot double-count) into
 * `saved`, with the one stored. Throws `ObservationSaveError` naming those not saved.
 */
async function saveObservations(
  deps: ResolveHostnamesDeps,
  runId: string,
  observations: readonly HostObservation[],
  saved: Map<string, HostObservation>,
): Promise<void> {
  const failures: { hostname: string; error: unknown }[] = [];
  const saveLimit = createLimiter(8);
  await Promise.all(
    observations.map((observation) =>
      saveLimit(async () => {
        try {
          const result = await deps.store.saveObservation(observation);
          saved.set(observation.hostname, result.observation);
        } catch (error) {
          failures.push({ hostname: observation.hostname, error });
        }
      }),
    ),
  );
  if (failures.length > 0) {
    const failed = failures.map((f) => f.hostname).sort();
    deps.logger?.warn("dns observations not saved", { runId, hostnames: failed });
    throw new ObservationSaveError(runId, failed, { cause: failures[0]?.error });
  }
}
