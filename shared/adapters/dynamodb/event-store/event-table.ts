import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** What every query and command of the event store works with. */
export interface EventTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The TTL (epoch seconds) of an item committed at `from`; undefined: kept. */
  expiresAt(from: Date): number | undefined;
}
