import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { FeedId } from "#shared/domain/feed";
import type { FeedPointer } from "#shared/observe/feeds/ports";
import { feedPointerKey, parseFeedPointer } from "./feed-pointer-item";
import type { FeedPointerTable } from "./feed-pointer-table";

/** The feed's current pointer (consistent read), or null before its first snapshot. */
export async function getFeedPointer(
  table: FeedPointerTable,
  feed: FeedId,
): Promise<FeedPointer | null> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: feedPointerKey(feed), ConsistentRead: true }),
  );
  return Item === undefined ? null : parseFeedPointer(Item);
}
