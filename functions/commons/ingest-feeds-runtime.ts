import { loadDriftConfig } from "#shared/compare/config";
import type { IngestAndJudgeFeedsDeps } from "#shared/detect/ingest-and-judge-feeds";
import { loadFeedConfig } from "#shared/observe/feeds/config";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import {
  createHttpDocumentFetcher,
  DEFAULT_DOCUMENT_FETCH,
} from "#shared/observe/vendor-document/http-document-fetcher";
import { createObserveRuntime, type ObserveHandlerDependencies } from "./observe-runtime";

/**
 * What ingest-feeds builds once, at cold start: its feed and drift config (from `env`), the
 * observe runtime (logger, metrics, stores, `judgeDrift`) and the HTTP feed fetcher, as the
 * dependencies of `ingestAndJudgeFeeds` and the settings of every ingest.
 */
export function ingestFeedsRuntime(
  env: Record<string, string | undefined>,
  dependencies: ObserveHandlerDependencies,
) {
  const config = loadFeedConfig(env);
  const driftConfig = loadDriftConfig(env);
  const runtime = createObserveRuntime(
    env,
    { defaultServiceName: "driftwatch-feeds", tableName: config.tableName, drift: driftConfig },
    dependencies,
  );
  const deps: IngestAndJudgeFeedsDeps = {
    fetcher: createHttpFeedFetcher({ timeoutMs: config.timeoutMs, maxBytes: config.maxBytes }),
    catalogues: runtime.catalogueSource,
    observations: runtime.stores.observations,
    feedPointers: runtime.stores.feedPointers,
    archive: runtime.stores.archive,
    judgeDrift: runtime.judgeDrift,
    logger: runtime.structuredLogger,
    metrics: runtime.metrics,
    clock: runtime.clock,
    // The vendor's page (catalogue document.source.url): the feeds' timeout, its own size cap.
    documentFetcher: createHttpDocumentFetcher({
      timeoutMs: config.timeoutMs,
      maxBytes: DEFAULT_DOCUMENT_FETCH.maxBytes,
    }),
  };
  const settings = {
    feeds: config.feeds,
    grace: config.grace,
    catalogueIds: driftConfig.catalogueIds,
  };
  return { logger: runtime.logger, metrics: runtime.metrics, deps, settings };
}
