import {
  type Catalogue,
  type ExpectationPolicy,
  resolvableHostnames,
} from "#shared/catalogue/schema";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  DEFAULT_IMPLAUSIBLE_ABSENCE,
  distrustImplausibleAbsence,
  type ImplausibleAbsenceOptions,
} from "#shared/observe/dns/implausible-absence";
import { createLimiter, type Limiter } from "#shared/observe/dns/limiter";
import type { ObservationStore } from "#shared/observe/dns/observation-store";
import {
  advanceObservation,
  DEFAULT_GRACE,
  effectiveGrace,
  type Grace,
  mostTellingOutcome,
} from "#shared/observe/dns/observation-window";
import {
  type DnsResolver,
  deadlineAnswer,
  mergeSamples,
  RETRYABLE_OUTCOMES,
  RUN_DEADLINE,
} from "#shared/observe/dns/resolver";
import {
  DEFAULT_SINKHOLE,
  distrustSinkholes,
  type SinkholeOptions,
  sinkholeRanges,
} from "#shared/observe/dns/sinkhole";

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
 *    advance each hostname's observation window (pure) with the merged answers.
 * 6. Save one observation per hostname (conditional: a concurrent twin cannot double-count).
 */

export interface ResolveTarget {
  hostname: string;
  policy: ExpectationPolicy;
  /** The catalogue group of the endpoint (informational: the guards do not use it). */
  group?: string;
}

export interface ResolveOptions {
  /** Queries per name and resolver in a run; their answers are merged (round robin). */
  samples: number;
  /** Lookups in flight at once (each asks A and AAAA together). */
  concurrency: number;
  /** Extra attempts for a timeout, SERVFAIL or error, with exponential backoff. */
  retries: number;
  retryBackoffMs: number;
  /** Grace periods by policy. */
  grace: Record<ExpectationPolicy, Grace>;
  /** When a resolver's NODATA answers for most names are not trusted as absence. */
  implausibleAbsence: ImplausibleAbsenceOptions;
  /** When an address served for hostnames of many registered domains is a sinkhole. */
  sinkhole: SinkholeOptions;
}

export const DEFAULT_RESOLVE_OPTIONS: ResolveOptions = {
  samples: 3,
  concurrency: 16,
  retries: 1,
  retryBackoffMs: 100,
  grace: DEFAULT_GRACE,
  implausibleAbsence: DEFAULT_IMPLAUSIBLE_ABSENCE,
  sinkhole: DEFAULT_SINKHOLE,
};

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

/** Every hostname of the catalogue with the policy of each endpoint that names it. */
export function targetsFromCatalogue(catalogue: Catalogue): ResolveTarget[] {
  const hostnames = new Set(resolvableHostnames(catalogue));
  return catalogue.endpoints.flatMap((endpoint) =>
    endpoint.hostname !== null && hostnames.has(endpoint.hostname)
      ? [{ hostname: endpoint.hostname, policy: endpoint.policy, group: endpoint.group }]
      : [],
  );
}

/**
 * The run id of a scheduled run: the schedule time truncated to the interval, so every
 * delivery of the same scheduled event (at least once) gets the same id.
 */
export function runIdFor(scheduledTime: Date, intervalMinutes: number): string {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1) {
    throw new RangeError(`intervalMinutes must be a positive integer, got ${intervalMinutes}`);
  }
  const time = scheduledTime.getTime();
  if (Number.isNaN(time)) throw new RangeError("scheduledTime is not a valid date");
  const interval = intervalMinutes * 60_000;
  return `${new Date(Math.floor(time / interval) * interval).toISOString().slice(0, 16)}Z`;
}

/** Counts of a run's observations, for its log line and the Lambda's response. */
export function summariseRun(observations: readonly HostObservation[]) {
  return {
    answered: observations.filter((o) => o.outcome === "answered").length,
    failing: observations.filter((o) => o.consecutiveFailures > 0).length,
    entered: observations.reduce((sum, o) => sum + o.entered.length, 0),
    left: observations.reduce((sum, o) => sum + o.left.length, 0),
    suspicious: observations.reduce((sum, o) => sum + o.suspicious.length, 0),
  };
}

export async function resolveHostnames(
  deps: ResolveHostnamesDeps,
  input: ResolveHostnamesInput,
): Promise<ResolveHostnamesResult> {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const started = clock();
  const options = { ...DEFAULT_RESOLVE_OPTIONS, ...input.options };
  validateOptions(options);

  // 1.
  const targets = Array.isArray(input.targets)
    ? (input.targets as readonly ResolveTarget[])
    : targetsFromCatalogue(input.targets as Catalogue);
  const policies = new Map<string, ExpectationPolicy[]>();
  for (const target of targets) {
    const hostname = target.hostname.toLowerCase();
    policies.set(hostname, [...(policies.get(hostname) ?? []), target.policy]);
  }
  const hostnames = [...policies.keys()].sort();

  // 2.
  const { created, run } = await deps.store.beginRun({
    runId: input.runId,
    observedAt: input.now.toISOString(),
    hostnames,
  });
  const position = { runId: run.runId, observedAt: run.observedAt };
  const saved = created
    ? new Map<string, HostObservation>()
    : await deps.store.savedObservations(position, hostnames);
  const remaining = hostnames.filter((hostname) => !saved.has(hostname));
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
  const previous = await deps.store.previousObservations(remaining, position);

  // 4.
  let done = saved.size;
  input.onProgress?.(done, hostnames.length);
  const limit = createLimiter(options.concurrency);
  const answers = new Map<string, ResolverAnswer[]>();
  await Promise.all(
    remaining.map(async (hostname) => {
      const perServer = await Promise.all(
        deps.resolver.servers.map((server) =>
          sampleServer(deps.resolver, limit, { hostname, server }, options, {
            deadline: input.deadline,
            clock,
            sleep,
          }),
        ),
      );
      answers.set(hostname, perServer);
      done++;
      input.onProgress?.(done, hostnames.length);
    }),
  );

  // 5. A resumed run judges its answers together with those the run already saved: the guards
  // count per run, and the remaining hostnames alone may be too few to show the pattern.
  const earlier = savedForGuards(saved);
  const trusted = distrustImplausibleAbsence(
    new Map([...earlier.answers, ...answers]),
    new Map<string, Pick<HostObservation, "active"> | null>([...earlier.previous, ...previous]),
    options.implausibleAbsence,
  );
  for (const verdict of trusted.distrusted) {
    deps.logger?.warn("resolver's NODATA answers not trusted as absence", {
      runId: run.runId,
      resolver: verdict.resolver,
      family: verdict.family,
      emptied: verdict.emptied.length,
      eligible: verdict.eligible,
      hostnames: verdict.emptied.slice(0, 20),
    });
  }
  const checked = distrustSinkholes(trusted.answers, options.sinkhole);
  for (const sinkhole of checked.sinkholes) {
    deps.logger?.warn("resolver serves one address for unrelated hostnames: a sinkhole", {
      runId: run.runId,
      resolver: sinkhole.resolver,
      ip: sinkhole.ip,
      hostnames: sinkhole.hostnames.length,
      domains: sinkhole.domains.length,
    });
  }
  const distrusted = sinkholeRanges(checked.sinkholes);
  const observedAt = new Date(run.observedAt);
  const observations = remaining.map((hostname) =>
    advanceObservation(previous.get(hostname) ?? null, checked.answers.get(hostname) ?? [], {
      hostname,
      runId: run.runId,
      now: observedAt,
      grace: effectiveGrace(policies.get(hostname) ?? [], options.grace),
      distrusted,
    }),
  );

  // 6.
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
    deps.logger?.warn("dns observations not saved", { runId: run.runId, hostnames: failed });
    throw new ObservationSaveError(run.runId, failed, { cause: failures[0]?.error });
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
  };
}

/**
 * The run's already-saved observations as the guards take them: their answers, with the NODATA
 * the run did not trust restored (so it is counted again), and the addresses each hostname had
 * before the run (its active ones that did not enter in it, and those that left in it).
 */
function savedForGuards(saved: ReadonlyMap<string, HostObservation>) {
  const answers = new Map<string, ResolverAnswer[]>();
  const previous = new Map<string, Pick<HostObservation, "active">>();
  for (const [hostname, observation] of saved) {
    answers.set(
      hostname,
      observation.answers.map(({ untrustedNodata, ...answer }) => {
        if (untrustedNodata === undefined || untrustedNodata.length === 0) return answer;
        const families = { ...(answer.families ?? { a: answer.outcome, aaaa: answer.outcome }) };
        for (const key of untrustedNodata) families[key] = "nodata";
        return { ...answer, families, outcome: mostTellingOutcome([families.a, families.aaaa]) };
      }),
    );
    const entered = new Set(observation.entered);
    previous.set(hostname, {
      active: [...observation.active.filter((ip) => !entered.has(ip.ip)), ...observation.left],
    });
  }
  return { answers, previous };
}

function validateOptions(options: ResolveOptions): void {
  const positive = { samples: options.samples, concurrency: options.concurrency };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(options.retries) || options.retries < 0) {
    throw new RangeError(`retries must be a whole number, got ${options.retries}`);
  }
}

interface Timing {
  deadline: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * One hostname at one resolver: a first lookup (with the CNAME chain, retried when it fails
 * transiently), then, if it answered, more samples to catch the rest of a rotation.
 */
async function sampleServer(
  resolver: DnsResolver,
  limit: Limiter,
  target: { hostname: string; server: string },
  options: ResolveOptions,
  timing: Timing,
): Promise<ResolverAnswer> {
  const ask = (walkCnames: boolean) =>
    limit(async (): Promise<ResolverAnswer> => {
      if (timing.clock() >= timing.deadline) return deadlineAnswer(target.server);
      try {
        return await resolver.lookup({ ...target, walkCnames, deadline: timing.deadline });
      } catch (error) {
        // The port never throws; if an adapter does, it is a failed lookup, not a failed run.
        return {
          ...deadlineAnswer(target.server),
          outcome: "error",
          families: { a: "error", aaaa: "error" },
          detail: `lookup threw: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    });
  let first = await ask(true);
  for (let retry = 1; retry <= options.retries; retry++) {
    if (!RETRYABLE_OUTCOMES.includes(first.outcome) || first.detail === RUN_DEADLINE) break;
    const wait = options.retryBackoffMs * 2 ** (retry - 1);
    if (timing.clock() + wait >= timing.deadline) break;
    await timing.sleep(wait);
    const again = await ask(true);
    first =
      again.detail === RUN_DEADLINE
        ? first
        : {
            ...again,
            ...(again.detail ? { detail: `${again.detail} (after ${retry + 1} attempts)` } : {}),
          };
  }
  if (first.outcome !== "answered" || options.samples === 1) return mergeSamples([first]);
  const more = await Promise.all(Array.from({ length: options.samples - 1 }, () => ask(false)));
  return mergeSamples([first, ...more.filter((sample) => sample.detail !== RUN_DEADLINE)]);
}
