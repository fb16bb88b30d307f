import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import type { RunPosition } from "#shared/observe/dns/observation-store";
import { parseObservation } from "./observation-item";
import { hostPk, runSk } from "./observation-keys";
import { ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/** BatchGetItem takes at most this many keys. */
const BATCH_SIZE = 100;
/** Retries of the keys a batch left unprocessed before giving up. */
const MAX_RETRIES = 8;

/** The observations `run` already saved of these hostnames (consistent batch reads). */
export async function savedObservations(
  table: ObservationTable,
  run: RunPosition,
  hostnames: string[],
): Promise<Map<string, HostObservation>> {
  const found = new Map<string, HostObservation>();
  const unique = [...new Set(hostnames)];
  for (let start = 0; start < unique.length; start += BATCH_SIZE) {
    const keys = unique
      .slice(start, start + BATCH_SIZE)
      .map((hostname) => ({ pk: hostPk(hostname), sk: runSk(run) }));
    for (const observation of await batchGet(table, keys)) {
      found.set(observation.hostname, observation);
    }
  }
  return found;
}

/** One batch of keys, retried with backoff while DynamoDB leaves some unprocessed. */
async function batchGet(
  table: ObservationTable,
  batch: Record<string, unknown>[],
): Promise<HostObservation[]> {
  const observations: HostObservation[] = [];
  let keys = batch;
  for (let attempt = 0; keys.length > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    if (attempt > MAX_RETRIES) {
      throw new ObservationStoreError("batch get kept leaving keys unprocessed");
    }
    const requested = keys;
    const response = await storeCall("batch get of saved observations", () =>
      table.documents.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: requested, ConsistentRead: true } },
        }),
      ),
    );
    for (const item of response.Responses?.[table.tableName] ?? []) {
      observations.push(parseObservation(item));
    }
    keys = response.UnprocessedKeys?.[table.tableName]?.Keys ?? [];
  }
  return observations;
}
