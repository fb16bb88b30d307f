import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { FeedChangeJudgements, FeedPointerStore } from "#shared/observe/feeds/ports";
import type { FeedPointerTable } from "./feed-pointer-store/feed-pointer-table";
import { getFeedPointer } from "./feed-pointer-store/get-feed-pointer";
import { markChangesJudged } from "./feed-pointer-store/mark-changes-judged";
import { putFeedPointer } from "./feed-pointer-store/put-feed-pointer";

/**
 * The current pointer of each feed: `pk = FEED#<feed>`, `sk = CURRENT` (see TABLE.md, "Feeds").
 * Writes are conditional on the version read, so two concurrent ingests cannot both win. The
 * pointer also carries the accepted changes not yet judged (`unjudged`), taken off by
 * `markChangesJudged` with a conditional update that leaves the version alone.
 *
 * The item mapping is in `feed-pointer-store/feed-pointer-item.ts` (pure), each call in a module
 * of its own beside it.
 */
export function createDynamoFeedPointerStore(deps: {
  documents: DynamoDBDocumentClient;
  tableName: string;
}): FeedPointerStore & FeedChangeJudgements {
  const table: FeedPointerTable = { documents: deps.documents, tableName: deps.tableName };
  return {
    get: (feed) => getFeedPointer(table, feed),
    put: (pointer, expectedVersion) => putFeedPointer(table, pointer, expectedVersion),
    markChangesJudged: (feed, changeIds) => markChangesJudged(table, feed, changeIds),
  };
}
