import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { FeedId } from "#shared/domain/feed";
import { feedPointerKey, unjudgedUpdate } from "./feed-pointer-item";
import type { FeedPointerTable } from "./feed-pointer-table";
import { getFeedPointer } from "./get-feed-pointer";

/** Attempts of `markChangesJudged` against ingests moving the pointer at the same time. */
const MARK_ATTEMPTS = 5;

/**
 * Takes the judged changes off the pointer's unjudged list: read, update under the version
 * read, re-read and retried while ingests move the pointer on.
 */
export async function markChangesJudged(
  table: FeedPointerTable,
  feed: FeedId,
  changeIds: readonly string[],
): Promise<void> {
  if (changeIds.length === 0) return;
  const judged = new Set(changeIds);
  for (let attempt = 1; ; attempt++) {
    const pointer = await getFeedPointer(table, feed);
    const unjudged = pointer?.unjudged ?? [];
    if (pointer === null || !unjudged.some((change) => judged.has(change.changeId))) return;
    const left = unjudged.filter((change) => !judged.has(change.changeId));
    try {
      await table.documents.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: feedPointerKey(feed),
          ...unjudgedUpdate(left, pointer.version),
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || attempt >= MARK_ATTEMPTS) {
        throw error;
      }
    }
  }
}
