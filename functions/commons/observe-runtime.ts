import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createS3Client } from "#shared/adapters/aws/s3";
import {
  createJudgeDrift,
  createNonPublishingStores,
  DEFAULT_DRIFT_OPTIONS,
  type StoreClients,
} from "#shared/adapters/compose";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import type { DriftConfig } from "#shared/compare/config";
import { type CatalogueSource, storedCatalogueSource } from "#shared/detect/catalogue-source";
import type { RunLogger } from "#shared/observe/dns/resolve-hostnames";
import type { FeedLogger } from "#shared/observe/feeds/ports";

/** What a test may pass instead of the AWS defaults. */
export interface ObserveHandlerDependencies {
  /** DynamoDB and S3 only: these functions never publish, so they bundle no SNS client. */
  clients?: StoreClients;
  catalogueSource?: CatalogueSource;
  clock?: () => number;
}

/**
 * What both observe functions (resolve-hostnames, ingest-feeds) build once, at cold start: the
 * clock, Powertools' logger and metrics (one `service` dimension: the alarms match on it), the
 * AWS clients, the catalogue source, the stores and `judgeDrift`. It commits and
 * never publishes: publish-events does, so these roles need no SNS or KMS rights.
 */
export function createObserveRuntime(
  env: Record<string, string | undefined>,
  settings: {
    defaultServiceName: string;
    tableName: string;
    historyRetentionDays?: number;
    drift: DriftConfig;
  },
  dependencies: ObserveHandlerDependencies,
) {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? settings.defaultServiceName;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "driftwatch",
    serviceName,
  });
  const target = { region: env.AWS_REGION ?? "us-east-1" };
  const clients = dependencies.clients ?? {
    ...createDynamoDbClients(target),
    s3: createS3Client(target),
  };
  const catalogueSource =
    dependencies.catalogueSource ??
    storedCatalogueSource(
      createDynamoDbCatalogueStore({ documents: clients.documents, tableName: settings.tableName }),
    );
  const stores = createNonPublishingStores(clients, {
    tableName: settings.tableName,
    bucketName: settings.drift.bucketName,
    ...(settings.historyRetentionDays !== undefined
      ? { historyRetentionDays: settings.historyRetentionDays }
      : {}),
  });
  const judgeDrift = createJudgeDrift(
    { ...stores, notifier: null },
    {
      ...DEFAULT_DRIFT_OPTIONS,
      failureThreshold: settings.drift.failureThreshold,
      unusedGrace: settings.drift.unusedGrace,
      ...(settings.drift.limits === undefined ? {} : { limits: settings.drift.limits }),
      publish: false,
    },
    logger,
  );
  const structuredLogger: RunLogger & FeedLogger = {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
  return {
    clock: dependencies.clock ?? Date.now,
    logger,
    structuredLogger,
    metrics,
    clients,
    catalogueSource,
    stores,
    judgeDrift,
  };
}
