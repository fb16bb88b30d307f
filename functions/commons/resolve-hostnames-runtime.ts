import { loadDriftConfig } from "#shared/compare/config";
import type { ResolveAndJudgeDeps } from "#shared/detect/resolve-and-judge";
import { createCaresResolver, systemDnsServers } from "#shared/observe/dns/c-ares-resolver";
import { loadDnsConfig } from "#shared/observe/dns/config";
import { createObserveRuntime, type ObserveHandlerDependencies } from "./observe-runtime";

/**
 * What resolve-hostnames builds once, at cold start: its DNS and drift config (from `env`), the
 * observe runtime (logger, metrics, stores, `judgeDrift`) and the c-ares resolver, as the
 * dependencies of `resolveAndJudge`.
 */
export function resolveHostnamesRuntime(
  env: Record<string, string | undefined>,
  dependencies: ObserveHandlerDependencies,
) {
  const config = loadDnsConfig(env);
  const driftConfig = loadDriftConfig(env);
  const runtime = createObserveRuntime(
    env,
    {
      defaultServiceName: "driftwatch-resolve",
      tableName: config.tableName,
      historyRetentionDays: config.historyRetentionDays,
      drift: driftConfig,
    },
    dependencies,
  );
  const resolver = createCaresResolver({
    servers: config.servers === "system" ? systemDnsServers() : config.servers,
    timeoutMs: config.timeoutMs,
    tries: config.tries,
  });
  const deps: ResolveAndJudgeDeps = {
    catalogues: runtime.catalogueSource,
    resolver,
    observations: runtime.stores.observations,
    feedPointers: runtime.stores.feedPointers,
    archive: runtime.stores.archive,
    judgeDrift: runtime.judgeDrift,
    logger: runtime.structuredLogger,
    metrics: runtime.metrics,
    clock: runtime.clock,
  };
  const { samples, concurrency, retries, grace } = config;
  return {
    config,
    logger: runtime.logger,
    metrics: runtime.metrics,
    deps,
    options: { samples, concurrency, retries, grace },
  };
}
