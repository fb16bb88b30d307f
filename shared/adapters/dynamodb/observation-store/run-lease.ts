import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  RUN_LEASE_MARGIN_MS,
  type RunLease,
  type RunLeaseOutcome,
} from "#shared/observe/dns/observation-store";
import { leaseKey, leaseSkPrefix, runKey } from "./observation-keys";
import { isConditionFailure, ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/**
 * The lease on writing a run's history items (TABLE.md, "Run lease"): one item per run and
 * scope, `RUN#<runId>` / `LEASE#<scope>`, with `leaseOwner` (the invocation's random token) and
 * `leaseUntil` (epoch ms).
 */

/** A writer sends no batch when less than this is left of its lease (renewing it first). */
export const LEASE_MARGIN_MS = RUN_LEASE_MARGIN_MS;
/** How far a renewal moves the end of the lease (a local run that outlives its first lease). */
export const LEASE_RENEWAL_MS = 5 * 60_000;
/** Lease items are deleted by TTL this long after their end. */
const LEASE_TTL_SECONDS = 7 * 86_400;

/** The lease was taken over (or released) since this invocation took it: it must stop writing. */
export class RunLeaseLostError extends ObservationStoreError {
  override name = "RunLeaseLostError";
  constructor(readonly lease: RunLease) {
    super(`run ${lease.runId} (${lease.scope}): the lease was taken over; nothing more is written`);
  }
}

/**
 * Takes the lease, or says who holds it. Primary course: put it if there is none (one request).
 * Else read it: live and another's, refused; expired, taken over with an update conditional on
 * the old owner and end (two takers of one expired lease: one wins, the other then finds it live).
 */
export async function takeRunLease(
  table: ObservationTable,
  request: { runId: string; scope: string; until: number },
): Promise<RunLeaseOutcome> {
  const now = table.clock;
  const lease: RunLease = { ...request, owner: randomUUID() };
  const key = leaseKey(request.runId, request.scope);
  const name = `lease of run ${request.runId} (${request.scope})`;
  for (let attempt = 0; attempt < 4; attempt++) {
    const current = attempt === 0 ? null : await readLease(table, key, name);
    if (current !== null && current.until > now()) {
      return { taken: false, heldBy: current.owner, until: current.until };
    }
    try {
      await storeCall(`taking the ${name}`, () =>
        current === null
          ? table.documents.send(putLease(table, lease))
          : table.documents.send(takeOver(table, lease, current)),
      );
      return { taken: true, lease, tookOver: current !== null };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new ObservationStoreError(`taking the ${name} kept racing another invocation`);
}

function putLease(table: ObservationTable, lease: RunLease): PutCommand {
  return new PutCommand({
    TableName: table.tableName,
    Item: {
      ...leaseKey(lease.runId, lease.scope),
      kind: "dns-run-lease",
      runId: lease.runId,
      scope: lease.scope,
      leaseOwner: lease.owner,
      leaseUntil: lease.until,
      expiresAt: Math.ceil(lease.until / 1000) + LEASE_TTL_SECONDS,
    },
    ConditionExpression: "attribute_not_exists(pk)",
  });
}

function takeOver(
  table: ObservationTable,
  lease: RunLease,
  old: { owner: string; until: number },
): UpdateCommand {
  return new UpdateCommand({
    TableName: table.tableName,
    Key: leaseKey(lease.runId, lease.scope),
    UpdateExpression: "SET leaseOwner = :owner, leaseUntil = :until, expiresAt = :expiresAt",
    ConditionExpression: "leaseOwner = :oldOwner AND leaseUntil = :oldUntil",
    ExpressionAttributeValues: {
      ":owner": lease.owner,
      ":until": lease.until,
      ":expiresAt": Math.ceil(lease.until / 1000) + LEASE_TTL_SECONDS,
      ":oldOwner": old.owner,
      ":oldUntil": old.until,
    },
  });
}

/** The stored lease's owner and end, or null when there is none. */
async function readLease(
  table: ObservationTable,
  key: Record<string, string>,
  name: string,
): Promise<{ owner: string; until: number } | null> {
  const { Item } = await storeCall(`reading the ${name}`, () =>
    table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
    ),
  );
  if (Item === undefined) return null;
  return parseLease(Item, name);
}

function parseLease(item: Record<string, unknown>, name: string): { owner: string; until: number } {
  const { leaseOwner, leaseUntil } = item;
  if (typeof leaseOwner !== "string" || typeof leaseUntil !== "number") {
    throw new ObservationStoreError(`the stored ${name} is malformed`);
  }
  return { owner: leaseOwner, until: leaseUntil };
}

/**
 * Moves the lease's end to `until`, conditional on this invocation still holding it as it
 * knows it (nobody took it over: a takeover changes the owner). Throws `RunLeaseLostError`.
 */
export async function renewRunLease(
  table: ObservationTable,
  lease: RunLease,
  until: number,
): Promise<RunLease> {
  try {
    await storeCall(`renewing the lease of run ${lease.runId}`, () =>
      table.documents.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: leaseKey(lease.runId, lease.scope),
          UpdateExpression: "SET leaseUntil = :until, expiresAt = :expiresAt",
          ConditionExpression: "leaseOwner = :owner AND leaseUntil = :oldUntil",
          ExpressionAttributeValues: {
            ":until": until,
            ":expiresAt": Math.ceil(until / 1000) + LEASE_TTL_SECONDS,
            ":owner": lease.owner,
            ":oldUntil": lease.until,
          },
        }),
      ),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new RunLeaseLostError(lease);
    throw error;
  }
  return { ...lease, until };
}

/** Ends the lease now; one taken over since is left to its new owner. */
export async function releaseRunLease(table: ObservationTable, lease: RunLease): Promise<void> {
  const now = table.clock;
  try {
    await storeCall(`releasing the lease of run ${lease.runId}`, () =>
      table.documents.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: leaseKey(lease.runId, lease.scope),
          UpdateExpression: "SET leaseUntil = :now",
          ConditionExpression: "leaseOwner = :owner",
          ExpressionAttributeValues: { ":now": now(), ":owner": lease.owner },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The latest end of a live lease of any scope of the run (one consistent Query), or null. */
export async function liveRunLease(
  table: ObservationTable,
  runId: string,
  now: number,
): Promise<number | null> {
  const { Items } = await storeCall(`reading the leases of run ${runId}`, () =>
    table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": runKey(runId).pk, ":prefix": leaseSkPrefix },
        ConsistentRead: true,
      }),
    ),
  );
  let latest: number | null = null;
  for (const item of Items ?? []) {
    const { until } = parseLease(item, `lease of run ${runId}`);
    if (until > now && (latest === null || until > latest)) latest = until;
  }
  return latest;
}
