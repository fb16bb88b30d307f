import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { parseEvent, ScheduledEvent, scheduledTime } from "#functions/commons/events";
import {
  createObserveRuntime,
  type ObserveHandlerDependencies,
} from "#functions/commons/observe-runtime";
import { type DriftConfig, loadDriftConfig } from "#shared/compare/config";
import { judgeDnsRun } from "#shared/detect/judge-dns-run";
import { judgeUnjudged } from "#shared/detect/judge-unjudged";
import { createCaresResolver, systemDnsServers } from "#shared/observe/dns/c-ares-resolver";
import { type DnsConfig, loadDnsConfig } from "#shared/observe/dns/config";
import { type RunLogger, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import { runIdFor } from "#shared/observe/dns/run-id-for";
import { summariseRun } from "#shared/observe/dns/summarise-run";

export {
  CatalogueNotImportedError,
  type CatalogueSource,
} from "#shared/detect/catalogue-source";

/**
 * Resolves every hostname of the catalogue and records the observations, on an EventBridge
 * schedule, then judges the run: commits its change events and rewrites the allowlists that
 * changed. Publishing is left to `publish-events` (DynamoDB Streams on the new change events, and
 * its sweep), so this role needs no SNS or KMS rights. Each delivery of the same scheduled event
 * has the same run id (its `time` truncated to the interval), so a retried or duplicated delivery
 * never double-counts and commits nothing new (event ids are deterministic). Before resolving, it
 * judges any earlier run that saved its observations and died before its drift was committed
 * (and was not redelivered): its IPs have already entered or left the state, so no later run
 * would raise them.
 */

export { InvalidEventError, ScheduledEvent } from "#functions/commons/events";

export interface ResolveHostnamesResponse {
  runId: string;
  duplicateRun: boolean;
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
}

export type ResolveHandlerDependencies = ObserveHandlerDependencies;

/** Builds the handler from an environment: config, clients and resolver once, at cold start. */
export function createResolveHostnamesHandler(
  env: Record<string, string | undefined>,
  dependencies: ResolveHandlerDependencies = {},
) {
  const config: DnsConfig = loadDnsConfig(env);
  const driftConfig: DriftConfig = loadDriftConfig(env);
  const { clock, logger, structuredLogger, metrics, catalogueSource, stores, judgeDrift } =
    createObserveRuntime(
      env,
      {
        defaultServiceName: "driftwatch-resolve",
        tableName: config.tableName,
        historyRetentionDays: config.historyRetentionDays,
        drift: driftConfig,
      },
      dependencies,
    );
  const runLogger: RunLogger = structuredLogger;
  const resolver = createCaresResolver({
    servers: config.servers === "system" ? systemDnsServers() : config.servers,
    timeoutMs: config.timeoutMs,
    tries: config.tries,
  });

  return middy(async (rawEvent: unknown, context: Context): Promise<ResolveHostnamesResponse> => {
    const event = parseEvent(ScheduledEvent, rawEvent, "schedule", logger);
    const runId = runIdFor(scheduledTime(event, new Date(clock()), logger), config.intervalMinutes);
    const catalogue = await catalogueSource(config.catalogueId);
    const deadline = clock() + context.getRemainingTimeInMillis() - config.deadlineMarginMs;

    const backlog = await judgeUnjudged(
      {
        observations: stores.observations,
        feedPointers: stores.feedPointers,
        archive: stores.archive,
        judgeDrift,
        logger: runLogger,
      },
      { catalogue: async () => catalogue, dnsRuns: true, feeds: [], exceptRunId: runId },
    ).catch((error: unknown) => {
      logger.error("judging earlier unjudged runs failed", { runId, error });
      throw error;
    });

    logger.info("resolving", { runId, catalogueId: catalogue.id, servers: resolver.servers });

    const result = await resolveHostnames(
      { resolver, store: stores.observations, logger: runLogger, clock },
      {
        targets: catalogue,
        runId,
        now: new Date(clock()),
        deadline,
        options: {
          samples: config.samples,
          concurrency: config.concurrency,
          retries: config.retries,
          grace: config.grace,
        },
      },
    ).catch((error: unknown) => {
      // Logged here, rethrown so Lambda retries the same event (same run id) and alarms fire.
      logger.error("resolve run failed", { runId, error });
      throw error;
    });

    // A redelivered run judges again: it commits what an interrupted first delivery did not.
    const drift = await judgeDnsRun(
      {
        archive: stores.archive,
        feedPointers: stores.feedPointers,
        judgeDrift,
        runs: stores.observations,
        logger: structuredLogger,
      },
      { catalogue, observations: result.observations, runId: result.runId, now: new Date(clock()) },
    ).catch((error: unknown) => {
      logger.error("recording the run's drift failed", { runId, error });
      throw error;
    });

    const observations = result.observations;
    const response: ResolveHostnamesResponse = {
      runId: result.runId,
      duplicateRun: result.duplicateRun,
      hostnames: observations.length,
      ...summariseRun(observations),
      durationMs: result.durationMs,
      driftEvents: drift.events.length,
      committed: drift.committed,
      allowlistsWritten: drift.allowlistsWritten,
      backlog: backlog.map((judged) => ({
        runId: judged.runId,
        committed: judged.drift.committed,
      })),
    };
    metrics.addMetric(
      "DriftEventsCommitted",
      MetricUnit.Count,
      drift.committed + backlog.reduce((sum, judged) => sum + judged.drift.committed, 0),
    );
    if (result.duplicateRun) {
      metrics.addMetric("DuplicateRuns", MetricUnit.Count, 1);
    } else {
      metrics.addMetric("HostnamesResolved", MetricUnit.Count, response.answered);
      metrics.addMetric("HostnamesFailing", MetricUnit.Count, response.failing);
      // The unresolvable-hostnames alarm: names no resolver answered in this run.
      metrics.addMetric(
        "UnresolvableHostnames",
        MetricUnit.Count,
        observations.filter((o) => o.outcome !== "answered").length,
      );
      metrics.addMetric("SuspiciousAnswers", MetricUnit.Count, response.suspicious);
      metrics.addMetric("ResolveDuration", MetricUnit.Milliseconds, response.durationMs);
    }
    return response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createResolveHostnamesHandler(process.env);
