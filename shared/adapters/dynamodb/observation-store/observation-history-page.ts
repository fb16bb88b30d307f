import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import type { Page } from "#shared/query/pages";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { historyInstant } from "./history-instant";
import { parseObservation } from "./observation-item";
import { HIGH, hostPk } from "./observation-keys";
import { storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/**
 * One page of a hostname's observations between `from` and `to` (inclusive; instants or dates),
 * oldest first: one query with `Limit`, resumed from the opaque cursor of the page before.
 */
export async function observationHistoryPage(
  table: ObservationTable,
  hostname: string,
  page: { from?: string; to?: string; cursor?: string; limit: number },
): Promise<Page<HostObservation>> {
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${page.limit}`);
  }
  const low = page.from === undefined ? "RUN#" : `RUN#${historyInstant(page.from, false)}`;
  const high =
    page.to === undefined ? `RUN#${HIGH}` : `RUN#${historyInstant(page.to, true)}#${HIGH}`;
  // Decoded first: a cursor not given by a page is the caller's mistake, not a store failure.
  const startKey = decodeCursor(page.cursor, ["pk", "sk"]);
  const response = await storeCall(`query ${hostPk(hostname)}`, () =>
    table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": hostPk(hostname), ":low": low, ":high": high },
        ScanIndexForward: true,
        Limit: page.limit,
        ExclusiveStartKey: startKey,
      }),
    ),
  );
  return {
    items: (response.Items ?? []).map(parseObservation),
    cursor: encodeCursor(response.LastEvaluatedKey),
  };
}
