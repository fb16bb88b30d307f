import { Logger } from "@aws-lambda-powertools/logger";
import { createAuditApiDeps } from "#shared/adapters/audit-api/audit-api-deps";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { loadAuditApiConfig } from "#shared/query/api/audit-api-config";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";

export interface AuditApiHandlerDeps {
  api: AuditApiDeps;
  logger: Logger;
}

/** Builds the dependencies from the environment: config and the DynamoDB client once per cold start. */
export function auditApiDepsFromEnv(env: Record<string, string | undefined>): AuditApiHandlerDeps {
  const config = loadAuditApiConfig(env);
  // DynamoDB only: the bundle carries no other SDK client.
  const { documents } = createDynamoDbClients({ region: config.region });
  return {
    api: createAuditApiDeps({
      documents,
      tableName: config.tableName,
      catalogueIds: config.catalogueIds,
      defaultCatalogueId: config.defaultCatalogueId,
    }),
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-audit-api" }),
  };
}
