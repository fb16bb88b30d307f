import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import { createLimiter } from "#shared/observe/dns/limiter";
import { confirmsState } from "#shared/observe/dns/observation-revision";
import type { RunLease } from "#shared/observe/dns/observation-store";
import { type Confirmation, confirmationItems, putConfirmations } from "./confirmations";
import { observationItem } from "./observation-item";
import { ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable, RevisionRef } from "./observation-table";
import { rememberItem } from "./revision-refs";
import { LEASE_MARGIN_MS, LEASE_RENEWAL_MS, RunLeaseLostError, renewRunLease } from "./run-lease";
import { indexEnteredIps } from "./save-observation";

/** BatchWriteItem takes at most this many items. */
const BATCH_SIZE = 25;
/** Batch writes in flight at once. */
const BATCHES_IN_FLIGHT = 4;
/** Retries of the items a batch left unprocessed before the batch fails. */
const MAX_RETRIES = 8;

type Failure = { hostname: string; error: unknown };

/**
 * Saves a run's observations of hostnames it has not saved yet, under its lease. An observation
 * that only confirms its previous state (`confirmsState`, the previous state one this store
 * read) is not written as a history item: the run's confirmations list it (step 4). Primary
 * course for the others:
 * 1. build each history item (one too large even gzipped fails alone, before anything of it is
 *    written);
 * 2. index the IPs that entered (`IP#…`, conditional puts, before the history items: a retry
 *    after a crash finds the host item missing and writes both);
 * 3. put the history items by BatchWriteItem, 25 a request, a few in flight, unprocessed items
 *    retried with backoff (bounded: a batch that still has some fails its hostnames). The lease
 *    is checked before each request and renewed when less than its margin is left; a lost lease
 *    stops every write (`RunLeaseLostError`);
 * 4. put the run's confirmations (`confirmations.ts`), the lease checked before each item: when
 *    that fails, the confirmed hostnames fail, and a retry of the run resolves them again.
 */
export async function saveObservations(
  table: ObservationTable,
  observations: readonly HostObservation[],
  taken: RunLease,
  previous?: ReadonlyMap<string, HostObservation>,
): Promise<{ saved: HostObservation[]; failed: Failure[] }> {
  const lease = leaseKeeper(table, taken);
  const { confirmed, written } = splitConfirmed(table, observations, previous);
  const result = await writeObservations(table, written, lease);
  for (const observation of result.saved) rememberItem(table, observation);
  if (confirmed.length === 0) return result;
  // 4.
  const [first] = confirmed;
  const run = { runId: taken.runId, observedAt: first?.observation.observedAt ?? "" };
  const items = confirmationItems(
    run,
    taken,
    confirmed.map((entry) => entry.confirmation),
    table.expiresAt(run.observedAt),
  );
  try {
    await putConfirmations(table, items, lease);
  } catch (error) {
    if (error instanceof RunLeaseLostError) throw error;
    result.failed.push(
      ...confirmed.map(({ observation }) => ({ hostname: observation.hostname, error })),
    );
    return result;
  }
  for (const { observation, ref } of confirmed) {
    table.revisions.set(observation, ref);
    result.saved.push(observation);
  }
  return result;
}

interface ConfirmedEntry {
  observation: HostObservation;
  confirmation: Confirmation;
  ref: RevisionRef;
}

/**
 * The observations that only confirm the revision their previous state stands for (one the
 * store knows, younger than the refresh age), and the others, which are written.
 */
function splitConfirmed(
  table: ObservationTable,
  observations: readonly HostObservation[],
  previous: ReadonlyMap<string, HostObservation> | undefined,
): { confirmed: ConfirmedEntry[]; written: HostObservation[] } {
  const confirmed: ConfirmedEntry[] = [];
  const written: HostObservation[] = [];
  for (const observation of observations) {
    const before = previous?.get(observation.hostname);
    const ref = before === undefined ? undefined : table.revisions.get(before);
    const fresh =
      ref !== undefined &&
      Date.parse(observation.observedAt) - Date.parse(ref.observedAt) < table.revisionRefreshMs;
    if (
      before === undefined ||
      ref === undefined ||
      !fresh ||
      !confirmsState(before, observation)
    ) {
      written.push(observation);
      continue;
    }
    const runsSince = ref.runsSince + 1;
    confirmed.push({
      observation,
      confirmation: {
        hostname: observation.hostname,
        revisionSk: ref.sk,
        runsSince,
        revision: ref.revision,
      },
      ref: { ...ref, runsSince },
    });
  }
  return { confirmed, written };
}

/** Steps 1 to 3: the history items of the observations that are written. */
async function writeObservations(
  table: ObservationTable,
  observations: readonly HostObservation[],
  lease: () => Promise<void>,
): Promise<{ saved: HostObservation[]; failed: Failure[] }> {
  const failed: Failure[] = [];
  // 1.
  const built: Entry[] = [];
  for (const observation of observations) {
    try {
      built.push({
        observation,
        item: observationItem(observation, table.expiresAt(observation.observedAt)),
      });
    } catch (error) {
      failed.push({ hostname: observation.hostname, error });
    }
  }
  // 2.
  const indexed: Entry[] = [];
  await Promise.all(
    built.map((entry) =>
      table.limit(async () => {
        if (entry.observation.entered.length === 0) {
          indexed.push(entry);
          return;
        }
        try {
          await indexEnteredIps(table, entry.observation);
          indexed.push(entry);
        } catch (error) {
          failed.push({ hostname: entry.observation.hostname, error });
        }
      }),
    ),
  );
  // 3.
  const saved: HostObservation[] = [];
  const inFlight = createLimiter(BATCHES_IN_FLIGHT);
  const batches: Entry[][] = [];
  for (let start = 0; start < indexed.length; start += BATCH_SIZE) {
    batches.push(indexed.slice(start, start + BATCH_SIZE));
  }
  await Promise.all(
    batches.map((batch) =>
      inFlight(async () => {
        const result = await writeBatch(table, batch, lease);
        saved.push(...result.saved);
        failed.push(...result.failed);
      }),
    ),
  );
  return { saved, failed };
}

/** Keeps the lease live: a check before each write, a renewal when its margin is reached. */
function leaseKeeper(table: ObservationTable, taken: RunLease) {
  const { clock } = table;
  let lease = taken;
  let renewing: Promise<RunLease> | null = null;
  let lost: unknown = null;
  return async (): Promise<void> => {
    if (lost !== null) throw lost;
    if (clock() < lease.until - LEASE_MARGIN_MS) return;
    renewing ??= renewRunLease(table, lease, clock() + LEASE_RENEWAL_MS).finally(() => {
      renewing = null;
    });
    try {
      lease = await renewing;
    } catch (error) {
      lost = error;
      throw error;
    }
  };
}

type Entry = { observation: HostObservation; item: Record<string, unknown> };
type PutRequest = { PutRequest: { Item: Record<string, unknown> } };

const itemKey = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;

/** The batch's hostnames as saved, but those of `left` (not written), which fail with `error`. */
function outcomeOf(batch: readonly Entry[], left: readonly PutRequest[], error: unknown) {
  const unwritten = new Set(left.map((request) => itemKey(request.PutRequest.Item)));
  const saved: HostObservation[] = [];
  const failed: Failure[] = [];
  for (const entry of batch) {
    if (unwritten.has(itemKey(entry.item))) {
      failed.push({ hostname: entry.observation.hostname, error });
    } else {
      saved.push(entry.observation);
    }
  }
  return { saved, failed };
}

/** One batch of history items, retried while DynamoDB leaves some unprocessed. */
async function writeBatch(
  table: ObservationTable,
  batch: readonly Entry[],
  ensureLease: () => Promise<void>,
): Promise<{ saved: HostObservation[]; failed: Failure[] }> {
  let requests: PutRequest[] = batch.map((entry) => ({ PutRequest: { Item: entry.item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > MAX_RETRIES) {
      const error = new ObservationStoreError(
        `a batch write of history items still left ${requests.length} item(s) unprocessed after ${MAX_RETRIES} retries`,
      );
      return outcomeOf(batch, requests, error);
    }
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, table.retryBaseMs * 2 ** (attempt - 1)));
    }
    await ensureLease();
    const sent = requests;
    try {
      const response = await storeCall("batch write of history items", () =>
        table.documents.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: sent } })),
      );
      requests = (response.UnprocessedItems?.[table.tableName] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
    } catch (error) {
      return outcomeOf(batch, sent, error);
    }
  }
  return { saved: batch.map((entry) => entry.observation), failed: [] };
}
