import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { readAllPages } from "../read-all-pages";
import { TABLE_KEYS } from "../table";
import { runKey, UNJUDGED_RUN } from "./observation-keys";
import { isConditionFailure, ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";
import { parseRun, runItem } from "./run-item";

/**
 * Records the run, only if it is new (`attribute_not_exists`); a repeated invocation adopts the
 * stored record instead (`created: false`).
 */
export async function beginRun(
  table: ObservationTable,
  run: DnsRun,
): Promise<{ created: boolean; run: DnsRun }> {
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: runItem(run, table.expiresAt(run.observedAt)),
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { created: true, run };
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw new ObservationStoreError(`recording run ${run.runId} failed`, { cause: error });
    }
  }
  const { Item } = await storeCall(`get run ${run.runId}`, () =>
    table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: runKey(run.runId), ConsistentRead: true }),
    ),
  );
  return { created: false, run: parseRun(Item, run.runId) };
}

/** The runs still in the unjudged index, oldest first. */
export async function unjudgedRuns(table: ObservationTable): Promise<DnsRun[]> {
  const items = await readAllPages((startKey) =>
    storeCall(`query ${UNJUDGED_RUN}`, () =>
      table.documents.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": UNJUDGED_RUN },
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    ),
  );
  return items.map((item) => parseRun(item, String(item.pk)));
}

/** Takes the run out of the unjudged index; a run already out, or gone, is left as it is. */
export async function markRunJudged(table: ObservationTable, runId: string): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: runKey(runId),
        UpdateExpression: "REMOVE gsi1pk, gsi1sk",
        // Never creates a run record: a run that is gone (TTL) stays gone.
        ConditionExpression: "attribute_exists(pk)",
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    throw new ObservationStoreError(`marking run ${runId} judged failed`, { cause: error });
  }
}
