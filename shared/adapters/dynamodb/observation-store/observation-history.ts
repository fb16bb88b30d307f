import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import { readAllPages } from "../read-all-pages";
import { historyInstant } from "./history-instant";
import { parseObservation } from "./observation-item";
import { HIGH, hostPk } from "./observation-keys";
import { storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/**
 * A hostname's observations between `from` and `to` (inclusive; instants or dates), oldest
 * first: all of them, or with `limit` only the newest `limit` (the older ones are not read).
 */
export async function observationHistory(
  table: ObservationTable,
  hostname: string,
  range: { from?: string; to?: string; limit?: number } = {},
): Promise<HostObservation[]> {
  const { limit: newest } = range;
  if (newest !== undefined && (!Number.isInteger(newest) || newest < 1)) {
    throw new RangeError(`limit must be a positive integer, got ${newest}`);
  }
  const low = range.from === undefined ? "RUN#" : `RUN#${historyInstant(range.from, false)}`;
  const high =
    range.to === undefined ? `RUN#${HIGH}` : `RUN#${historyInstant(range.to, true)}#${HIGH}`;
  const query: QueryCommandInput = {
    TableName: table.tableName,
    KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
    ExpressionAttributeValues: { ":pk": hostPk(hostname), ":low": low, ":high": high },
    ScanIndexForward: true,
  };
  if (newest === undefined) {
    const items = await readAllPages((startKey) =>
      storeCall(`query ${hostPk(hostname)}`, () =>
        table.documents.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey })),
      ),
    );
    return items.map(parseObservation);
  }
  const items = await newestItems(table, query, newest);
  return items.slice(0, newest).reverse().map(parseObservation);
}

/** Newest first, page by page until `limit` items (a page stops at 1 MB, maybe short). */
async function newestItems(
  table: ObservationTable,
  query: QueryCommandInput,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await storeCall(`query ${String(query.ExpressionAttributeValues?.[":pk"])}`, () =>
      table.documents.send(
        new QueryCommand({
          ...query,
          ScanIndexForward: false,
          Limit: limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && items.length < limit);
  return items;
}
