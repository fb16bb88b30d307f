import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { InvalidCursorError } from "#shared/adapters/dynamodb/page-cursor";
import { storedCatalogueSource } from "#shared/detect/catalogue-source";
import { ApiParameterError } from "#shared/query/api/api-errors";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";

/**
 * The audit routes' reads over the DynamoDB table (the Lambda, and the integration test's local
 * server): the observation and event stores, read only, and the catalogues as last imported. A
 * cursor the store cannot decode is the caller's mistake: a 400 on `cursor`, not a 500.
 */
export function createAuditApiDeps(options: {
  documents: DynamoDBDocumentClient;
  tableName: string;
  catalogueIds: readonly string[];
  defaultCatalogueId?: string;
}): AuditApiDeps {
  const { documents, tableName, catalogueIds } = options;
  const events = createDynamoEventStore({ documents, tableName });
  const observations = createDynamoObservationStore({ documents, tableName });
  const catalogue = storedCatalogueSource(createDynamoDbCatalogueStore({ documents, tableName }));
  return {
    observations: {
      latestObservations: (hostnames) => observations.latestObservations(hostnames),
      observationAt: (hostname, at) => observations.observationAt(hostname, at),
      history: (hostname, range) => observations.history(hostname, range),
      hostsForIp: (ip) => observations.hostsForIp(ip),
      historyPage: (hostname, page) =>
        refusingBadCursors(() => observations.historyPage(hostname, page)),
    },
    events: {
      committedChangeSets: (page) => refusingBadCursors(() => events.committedChangeSets(page)),
      publishedChangeSets: (page) => refusingBadCursors(() => events.publishedChangeSets(page)),
    },
    catalogue,
    catalogueIds,
    ...(options.defaultCatalogueId !== undefined
      ? { defaultCatalogueId: options.defaultCatalogueId }
      : {}),
  };
}

async function refusingBadCursors<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new ApiParameterError("cursor", error.message, { cause: error });
    }
    throw error;
  }
}
