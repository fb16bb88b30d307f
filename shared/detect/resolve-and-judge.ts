import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { HostObservation } from "#shared/domain/observation";
import type { ObservationStore } from "#shared/observe/dns/observation-store";
import {
  RunInFlightError,
  type RunLogger,
  resolveHostnames,
} from "#shared/observe/dns/resolve-hostnames";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import { targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { summariseRun } from "#shared/observe/dns/summarise-run";
import { archiveRunHistory } from "#shared/record/history-archive";
import type { CatalogueSource } from "./catalogue-source";
import { loadCatalogues } from "./catalogues";
import { judgeDnsRun } from "./judge-dns-run";
import { type JudgeUnjudgedDeps, judgeUnjudged } from "./judge-unjudged";

export interface ResolveAndJudgeDeps extends Omit<JudgeUnjudgedDeps, "logger"> {
  catalogues: CatalogueSource;
  resolver: DnsResolver;
  observations: JudgeUnjudgedDeps["observations"] & ObservationStore;
  logger: RunLogger & { error(message: string, attributes?: Record<string, unknown>): void };
  metrics: Pick<Metrics, "addMetric">;
  /** Epoch-ms clock for the observation time, the deadline and the duration. */
  clock: () => number;
}

export interface ResolveAndJudgeInput {
  /** The catalogues watched, judged in this order (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: readonly string[];
  /** The scheduled run's id: each delivery of the same schedule is the same run. */
  runId: string;
  /** Epoch ms: no DNS query is asked after it. */
  deadline: number;
  /** Epoch ms: when the invocation ends at the latest (Lambda: now + its remaining time). */
  invocationEnd?: number;
  options: Partial<ResolveOptions>;
}

export interface ResolveAndJudgeResult {
  runId: string;
  duplicateRun: boolean;
  /**
   * A twin invocation holds the run's lease: this one wrote, judged and archived nothing (the
   * counts are 0); the twin judges the run, or a later cycle does when its lease has ended.
   */
  inFlightElsewhere?: { until: string };
  hostnames: number;
  answered: number;
  failing: number;
  entered: number;
  left: number;
  suspicious: number;
  durationMs: number;
  /** Verdicts of the run, including standing conditions notified by earlier runs. */
  driftEvents: number;
  /** Change-event records committed by this invocation (none for a redelivered, completed run). */
  committed: number;
  /** Allowlist object keys written (empty when no list changed). */
  allowlistsWritten: string[];
  /** Earlier runs left unjudged by an interrupted invocation, judged first (usually none). */
  backlog: { runId: string; committed: number }[];
  /** The run's history archive object (`history/dt=…/<runId>.jsonl.gz`), null for an empty run. */
  historyArchive: string | null;
}

/**
 * Use case: one scheduled DNS run, judged (the resolve-hostnames function). Each failing step is
 * logged with the run id and rethrown, so Lambda retries the same event (same run id) and alarms
 * fire.
 *
 * 1. Read every catalogue: one missing from the table fails the run before anything is judged.
 * 2. Judge any earlier run that saved its observations and died before its drift was committed
 *    (and was not redelivered): its IPs have already entered or left the state, so no later run
 *    would raise them.
 * 3. Resolve the union of the catalogues' hostnames, each once (under the longest grace of all
 *    its endpoints' policies), and save the observations (resolveHostnames), under the run's lease
 *    (held until this invocation's end). A twin holding it: return, having done nothing.
 * 4. Judge the run, each catalogue in turn: commit its change events, rewrite its allowlists
 *    that changed; the run is marked judged after the last one. A redelivered
 *    run judges again: it commits what an interrupted first delivery did not. The lease is
 *    released after 5, or when 4 or 5 fail (the retry takes it at once).
 * 5. Archive the run's observations to the bucket as JSON Lines (history-archive.ts), before
 *    their history items expire; a redelivered run writes the same object again.
 * 6. Emit the run's metrics and return its summary.
 */
export async function resolveAndJudge(
  deps: ResolveAndJudgeDeps,
  input: ResolveAndJudgeInput,
): Promise<ResolveAndJudgeResult> {
  const { logger, clock } = deps;
  const { runId } = input;
  const failed = (step: string) => (error: unknown) => {
    logger.error(step, { runId, error });
    throw error;
  };
  // 1.
  const catalogues = await loadCatalogues(deps.catalogues, input.catalogueIds);
  // 2.
  const backlog = await judgeUnjudged(deps, {
    catalogue: async () => catalogues,
    dnsRuns: true,
    feeds: [],
    exceptRunId: runId,
  }).catch(failed("judging earlier unjudged runs failed"));
  logger.info("resolving", {
    runId,
    catalogueIds: input.catalogueIds,
    servers: deps.resolver.servers,
  });
  // 3.
  const result = await resolveHostnames(
    { resolver: deps.resolver, store: deps.observations, logger, clock },
    {
      targets: catalogues.flatMap(targetsFromCatalogue),
      runId,
      now: new Date(clock()),
      deadline: input.deadline,
      ...(input.invocationEnd === undefined ? {} : { leaseUntil: input.invocationEnd }),
      options: input.options,
    },
  ).catch((error: unknown) => {
    if (error instanceof RunInFlightError) return error;
    return failed("resolve run failed")(error);
  });
  if (result instanceof RunInFlightError) return inFlightElsewhere(deps, result, backlog);
  const judged = async () => {
    // 4.
    const drift = await judgeDnsRun(
      { ...deps, runs: deps.observations },
      {
        catalogue: catalogues,
        observations: result.observations,
        runId: result.runId,
        now: new Date(clock()),
      },
    ).catch(failed("recording the run's drift failed"));
    // 5.
    const historyArchive = await archiveRunHistory(deps.archive, result.observations).catch(
      failed("archiving the run's history failed"),
    );
    return { drift, historyArchive };
  };
  const { drift, historyArchive } = await judged().finally(() =>
    deps.observations.releaseRunLease(result.lease).catch((error: unknown) => {
      logger.warn("releasing the run's lease failed (it ends by itself)", { runId, error });
    }),
  );
  // 6.
  const summary: ResolveAndJudgeResult = {
    runId: result.runId,
    duplicateRun: result.duplicateRun,
    hostnames: result.observations.length,
    ...summariseRun(result.observations),
    durationMs: result.durationMs,
    driftEvents: drift.events.length,
    committed: drift.committed,
    allowlistsWritten: drift.allowlistsWritten,
    backlog: backlog.map((judged) => ({ runId: judged.runId, committed: judged.drift.committed })),
    historyArchive,
  };
  addRunMetrics(deps.metrics, summary, result.observations);
  return summary;
}

/** Step 3, a twin holds the run: logged, counted, nothing else done. */
function inFlightElsewhere(
  deps: ResolveAndJudgeDeps,
  error: RunInFlightError,
  backlog: { runId: string; drift: { committed: number } }[],
): ResolveAndJudgeResult {
  deps.logger.warn("run in flight in another invocation: nothing written or judged", {
    runId: error.runId,
    leaseUntil: new Date(error.until).toISOString(),
  });
  deps.metrics.addMetric("DuplicateRuns", MetricUnit.Count, 1);
  return {
    runId: error.runId,
    duplicateRun: true,
    inFlightElsewhere: { until: new Date(error.until).toISOString() },
    hostnames: 0,
    answered: 0,
    failing: 0,
    entered: 0,
    left: 0,
    suspicious: 0,
    durationMs: 0,
    driftEvents: 0,
    committed: 0,
    allowlistsWritten: [],
    backlog: backlog.map((judged) => ({ runId: judged.runId, committed: judged.drift.committed })),
    historyArchive: null,
  };
}

function addRunMetrics(
  metrics: ResolveAndJudgeDeps["metrics"],
  summary: ResolveAndJudgeResult,
  observations: readonly HostObservation[],
): void {
  const backlogCommitted = summary.backlog.reduce((sum, judged) => sum + judged.committed, 0);
  metrics.addMetric("DriftEventsCommitted", MetricUnit.Count, summary.committed + backlogCommitted);
  if (summary.duplicateRun) {
    metrics.addMetric("DuplicateRuns", MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric("HostnamesResolved", MetricUnit.Count, summary.answered);
  metrics.addMetric("HostnamesFailing", MetricUnit.Count, summary.failing);
  // The unresolvable-hostnames alarm: names no resolver answered in this run.
  const unresolvable = observations.filter((o) => o.outcome !== "answered").length;
  metrics.addMetric("UnresolvableHostnames", MetricUnit.Count, unresolvable);
  metrics.addMetric("SuspiciousAnswers", MetricUnit.Count, summary.suspicious);
  metrics.addMetric("ResolveDuration", MetricUnit.Milliseconds, summary.durationMs);
}
