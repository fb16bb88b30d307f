import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeSetRecord } from "#shared/notify/ports";
import type { Page } from "#shared/query/pages";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { parseChangeSet } from "./change-set-item";
import type { EventTable } from "./event-table";

/**
 * One page of the committed change sets (commit time between `since` and `until`, inclusive): a
 * scan page of `limit` items filtered on the item kind, resumed from the opaque cursor. No index
 * lists every change set, so an audit scans; one page is held at a time, never the table.
 */
export async function committedChangeSets(
  table: EventTable,
  page: { since?: string; until?: string; cursor?: string; limit: number },
): Promise<Page<ChangeSetRecord>> {
  const since = page.since === undefined ? undefined : new Date(page.since).toISOString();
  const until = page.until === undefined ? undefined : new Date(page.until).toISOString();
  const filters = [
    "kind = :kind",
    ...(since === undefined ? [] : ["createdAt >= :since"]),
    ...(until === undefined ? [] : ["createdAt <= :until"]),
  ];
  const response = await table.documents.send(
    new ScanCommand({
      TableName: table.tableName,
      FilterExpression: filters.join(" AND "),
      ExpressionAttributeValues: {
        ":kind": "change-set",
        ...(since === undefined ? {} : { ":since": since }),
        ...(until === undefined ? {} : { ":until": until }),
      },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, ["pk", "sk"]),
    }),
  );
  return {
    items: (response.Items ?? []).map(parseChangeSet),
    cursor: encodeCursor(response.LastEvaluatedKey),
  };
}
