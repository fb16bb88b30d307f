import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import type { RunPosition } from "#shared/observe/dns/observation-store";
import { type Confirmation, runConfirmations } from "./confirmations";
import { parseObservation } from "./observation-item";
import { hostPk, runSk } from "./observation-keys";
import { ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";
import { confirmedState, rememberItem } from "./revision-refs";

/** BatchGetItem takes at most this many keys. */
const BATCH_SIZE = 100;
/** Retries of the keys a batch left unprocessed before giving up. */
const MAX_RETRIES = 8;

/**
 * The observations `run` already saved of these hostnames (consistent reads): for the hostnames
 * it confirmed (its confirmations, one query), the revision each confirmed, as of the run
 * (`confirmedObservation`), taken from the confirmations when they list it (its history item
 * read otherwise); for the others, its history items. A hostname is one or the other,
 * never both (a retry resolves only what this read did not find), so each is read once. Each
 * one's revision is remembered for `saveObservations`.
 */
export async function savedObservations(
  table: ObservationTable,
  run: RunPosition,
  hostnames: string[],
): Promise<Map<string, HostObservation>> {
  const unique = [...new Set(hostnames)];
  if (unique.length === 0) return new Map();
  const confirmations = await runConfirmations(table, run.runId);
  const confirmed = unique.flatMap((hostname) => {
    const confirmation = confirmations.get(hostname);
    return confirmation === undefined ? [] : [confirmation];
  });
  const sk = runSk(run);
  const found = await observationsAt(
    table,
    unique.filter((hostname) => !confirmations.has(hostname)).map((hostname) => ({ hostname, sk })),
  );
  for (const observation of found.values()) rememberItem(table, observation);
  const revisions = await observationsAt(
    table,
    confirmed
      .filter((confirmation) => confirmation.revision === undefined)
      .map(({ hostname, revisionSk }) => ({ hostname, sk: revisionSk })),
  );
  for (const confirmation of confirmed) {
    const revision = listedRevision(confirmation) ?? revisions.get(confirmation.hostname);
    if (revision === undefined) continue; // expired: the hostname reads as not saved
    found.set(confirmation.hostname, confirmedState(table, revision, run, confirmation));
  }
  return found;
}

/**
 * The revision a confirmation lists with it, validated as its history item would be; a clear
 * error naming it when it is not the revision the confirmation names.
 */
function listedRevision(confirmation: Confirmation): HostObservation | undefined {
  if (confirmation.revision === undefined) return undefined;
  const pk = hostPk(confirmation.hostname);
  const revision = parseObservation({
    ...(confirmation.revision as object),
    pk,
    sk: confirmation.revisionSk,
  });
  if (revision.hostname !== confirmation.hostname || runSk(revision) !== confirmation.revisionSk) {
    throw new ObservationStoreError(
      `stored confirmation of ${pk} lists a revision that is not ${confirmation.revisionSk}`,
    );
  }
  return revision;
}

/** The history items at these keys (one per hostname), by hostname. */
async function observationsAt(
  table: ObservationTable,
  keys: readonly { hostname: string; sk: string }[],
): Promise<Map<string, HostObservation>> {
  const found = new Map<string, HostObservation>();
  for (let start = 0; start < keys.length; start += BATCH_SIZE) {
    const batch = keys
      .slice(start, start + BATCH_SIZE)
      .map(({ hostname, sk }) => ({ pk: hostPk(hostname), sk }));
    for (const observation of await batchGet(table, batch)) {
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
