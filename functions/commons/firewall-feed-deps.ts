import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createS3Client } from "#shared/adapters/aws/s3";
import { createDynamoAllowlistVersionStore } from "#shared/adapters/dynamodb/allowlist-version-store";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import type { DeploymentFeedDeps } from "#shared/query/firewall-feed/feed-catalogues";
import { loadFirewallFeedConfig } from "#shared/query/firewall-feed/feed-config";

export interface FirewallFeedHandlerDeps {
  feed: DeploymentFeedDeps;
  logger: Logger;
}

/**
 * Builds the dependencies from the environment: config and the DynamoDB and S3 clients once per
 * cold start. Reads only: the version items and the changes (GetItem, Query on the partitions of
 * the deployment's catalogues, DRIFTWATCH_CATALOGUE_IDS) and the allowlist files (GetObject under allowlists/).
 */
export function firewallFeedDepsFromEnv(
  env: Record<string, string | undefined>,
): FirewallFeedHandlerDeps {
  const config = loadFirewallFeedConfig(env);
  const { documents } = createDynamoDbClients({ region: config.region });
  const archive = createS3ObjectArchive({
    s3: createS3Client({ region: config.region }),
    bucketName: config.bucketName,
  });
  const versions = createDynamoAllowlistVersionStore({ documents, tableName: config.tableName });
  return {
    feed: {
      versions: {
        getVersion: (catalogueId) => versions.getVersion(catalogueId),
        changesBetween: (catalogueId, range) => versions.changesBetween(catalogueId, range),
      },
      objects: { get: (key) => archive.get(key) },
      catalogueIds: config.catalogueIds,
      defaultCatalogueId: config.defaultCatalogueId,
    },
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-firewall-feed" }),
  };
}
