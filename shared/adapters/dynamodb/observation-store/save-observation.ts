import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import { ipSightingItem } from "./ip-sighting-item";
import { observationItem, parseObservation } from "./observation-item";
import { hostPk, runSk } from "./observation-keys";
import { isConditionFailure, ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/**
 * Saves a run's observation of a hostname, once. Primary course:
 * 1. build the history item (one too large even gzipped fails here, before anything is written);
 * 2. index the IPs that entered in this run (`IP#…`, each put once);
 * 3. put the history item unless the run already saved one;
 * 4. if it had, read the stored one back and return it (`saved: false`).
 */
export async function saveObservation(
  table: ObservationTable,
  observation: HostObservation,
): Promise<{ saved: boolean; observation: HostObservation }> {
  const item = observationItem(observation, table.expiresAt(observation.observedAt));
  // The index first: if this invocation dies after it, the retry still finds the host item
  // missing and writes both; the other order could lose the index entry for good.
  await indexEnteredIps(table, observation);
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { saved: true, observation };
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw new ObservationStoreError(
        `saving ${observation.hostname} for run ${observation.runId} failed`,
        { cause: error },
      );
    }
  }
  const stored = await storedObservation(table, observation);
  if (stored === null) {
    throw new ObservationStoreError(
      `${observation.hostname} for run ${observation.runId} exists but cannot be read`,
    );
  }
  return { saved: false, observation: stored };
}

/** Puts the IP index item of every IP that entered the observed set, unless it exists. */
export async function indexEnteredIps(
  table: ObservationTable,
  observation: HostObservation,
): Promise<void> {
  const byIp = new Map(observation.active.map((ip) => [ip.ip, ip]));
  for (const address of observation.entered) {
    const ip = byIp.get(address);
    if (ip === undefined) continue;
    try {
      await table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: ipSightingItem(observation, ip),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new ObservationStoreError(`indexing ${ip.ip} for ${observation.hostname}`, {
          cause: error,
        });
      }
    }
  }
}

/** The history item this observation's run stored for its hostname, or null. */
async function storedObservation(
  table: ObservationTable,
  observation: HostObservation,
): Promise<HostObservation | null> {
  const { Item } = await storeCall(`get ${hostPk(observation.hostname)}`, () =>
    table.documents.send(
      new GetCommand({
        TableName: table.tableName,
        Key: { pk: hostPk(observation.hostname), sk: runSk(observation) },
        ConsistentRead: true,
      }),
    ),
  );
  return Item === undefined ? null : parseObservation(Item);
}
