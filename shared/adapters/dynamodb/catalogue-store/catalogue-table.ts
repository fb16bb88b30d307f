import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** What every query and command of the catalogue store works with. */
export interface CatalogueTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Concurrent writes during an import. */
  concurrency: number;
}
