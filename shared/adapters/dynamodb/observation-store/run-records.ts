import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DnsRun, RunPosition } from "#shared/observe/dns/observation-store";
import { readAllPages } from "../read-all-pages";
import { TABLE_KEYS } from "../table";
import { LAST_JUDGED_KEY, runKey, runPosition, UNJUDGED_RUN } from "./observation-keys";
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
  // Built first: a list too large for one item is RunTooLargeError, before any request.
  const item = runItem(run, table.expiresAt(run.observedAt));
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
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
  const items = await queryUnjudgedIndex(table, {});
  return items.map((item) => parseRun(item, String(item.pk)));
}

/** Every item of the unjudged index (gsi1), oldest first, with `query`'s range and projection. */
function queryUnjudgedIndex(
  table: ObservationTable,
  query: { between?: [string, string]; projection?: string },
): Promise<Record<string, unknown>[]> {
  const range = query.between === undefined ? "" : " AND gsi1sk BETWEEN :low AND :high";
  const bounds =
    query.between === undefined ? {} : { ":low": query.between[0], ":high": query.between[1] };
  return readAllPages((startKey) =>
    storeCall(`query ${UNJUDGED_RUN}`, () =>
      table.documents.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: `gsi1pk = :pk${range}`,
          ExpressionAttributeValues: { ":pk": UNJUDGED_RUN, ...bounds },
          ...(query.projection === undefined ? {} : { ProjectionExpression: query.projection }),
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    ),
  );
}

/**
 * Takes the run out of the unjudged index; a run already out, or gone, is left as it is. First
 * the newest-judged pointer moves to the run if it is newer (`recordJudged`): a crash in between
 * leaves the run unjudged, and the next cycle judges it again (idempotent) and marks it.
 */
export async function markRunJudged(table: ObservationTable, runId: string): Promise<void> {
  const { Item } = await storeCall(`get run ${runId}`, () =>
    table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: runKey(runId), ConsistentRead: true }),
    ),
  );
  // Never creates a run record: a run that is gone (TTL) stays gone.
  if (Item === undefined) return;
  await recordJudged(table, parseRun(Item, runId));
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: runKey(runId),
        UpdateExpression: "REMOVE gsi1pk, gsi1sk",
        ConditionExpression: "attribute_exists(pk)",
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    throw new ObservationStoreError(`marking run ${runId} judged failed`, { cause: error });
  }
}

/** Moves the newest-judged pointer (`LAST_JUDGED_KEY`) to `run`, unless a newer run is there. */
async function recordJudged(table: ObservationTable, run: DnsRun): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: LAST_JUDGED_KEY,
        UpdateExpression: "SET #position = :position, runId = :runId, observedAt = :observedAt",
        ConditionExpression: "attribute_not_exists(#position) OR #position < :position",
        ExpressionAttributeNames: { "#position": "position" },
        ExpressionAttributeValues: {
          ":position": runPosition(run),
          ":runId": run.runId,
          ":observedAt": run.observedAt,
        },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    throw new ObservationStoreError(`recording run ${run.runId} as judged failed`, {
      cause: error,
    });
  }
}

/** The newest judged run (`recordJudged`), or null before the first. */
export async function lastJudgedRun(table: ObservationTable): Promise<RunPosition | null> {
  // A query of its one key, not a GetItem: the audit API reads the current state through here,
  // and its role may only query and scan (serverless.yml, AuditApiRole).
  const { Items } = await storeCall("get the last judged run", () =>
    table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": LAST_JUDGED_KEY.pk, ":sk": LAST_JUDGED_KEY.sk },
        ConsistentRead: true,
      }),
    ),
  );
  const [Item] = Items ?? [];
  if (Item === undefined) return null;
  const { runId, observedAt } = Item;
  if (typeof runId !== "string" || typeof observedAt !== "string") {
    throw new ObservationStoreError("the last judged run record is malformed");
  }
  return { runId, observedAt };
}

/**
 * The positions of the unjudged runs strictly between `after` and `before` (gsi1, a handful of
 * items at most: runs that died before the compare step).
 */
export async function unjudgedRunsBetween(
  table: ObservationTable,
  after: RunPosition,
  before: RunPosition,
): Promise<string[]> {
  const low = runPosition(after);
  const high = runPosition(before);
  const items = await queryUnjudgedIndex(table, { between: [low, high], projection: "gsi1sk" });
  return items
    .map((item) => String(item.gsi1sk))
    .filter((position) => position > low && position < high);
}
