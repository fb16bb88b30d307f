import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** What every query and command of the feed pointer store works with. */
export interface FeedPointerTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
}
