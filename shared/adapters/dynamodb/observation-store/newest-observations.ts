import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import { confirmedObservation } from "#shared/observe/dns/observation-revision";
import type { RunPosition } from "#shared/observe/dns/observation-store";
import { runConfirmations } from "./confirmations";
import { historyInstant } from "./history-instant";
import { parseObservation } from "./observation-item";
import { HIGH, hostPk, runPosition, runSk } from "./observation-keys";
import { storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";
import { lastJudgedRun, unjudgedRunsBetween } from "./run-records";
import { savedObservations } from "./saved-observations";

/**
 * Each hostname's current state: its newest history item, or when the newest judged run only
 * confirmed that item's state (a revision, observation-revision.ts), the state as of that run.
 */
export async function latestObservations(
  table: ObservationTable,
  hostnames: string[],
): Promise<Map<string, HostObservation>> {
  const newest = await forEachHostname(table, hostnames, (hostname) =>
    newestAtOrBelow(table, hostname, `RUN#${HIGH}`, true),
  );
  if (newest.size === 0) return newest;
  const judged = await lastJudgedRun(table);
  if (judged === null) return newest;
  const judgedSk = runSk(judged);
  const older = [...newest.values()].filter((observation) => runSk(observation) < judgedSk);
  if (older.length === 0) return newest;
  const confirmations = await runConfirmations(table, judged.runId);
  for (const revision of older) {
    const confirmation = confirmations.get(revision.hostname);
    if (confirmation?.revisionSk !== runSk(revision)) continue;
    const current = confirmedObservation(revision, judged, confirmation.runsSince);
    table.revisions.set(current, {
      sk: confirmation.revisionSk,
      observedAt: revision.observedAt,
      runsSince: confirmation.runsSince,
    });
    newest.set(revision.hostname, current);
  }
  return newest;
}

/**
 * Each hostname's state just before `before`: its newest history item older than that run.
 *
 * Read in batches when it can be: every run writes an item for each hostname it resolves, and
 * runs are judged after their items are saved, so when the newest judged run P is older than
 * `before` and no unjudged run lies between them, no run between P and `before` wrote anything,
 * and each hostname's newest item below `before` is P's item (BatchGetItem, 100 keys a request).
 * A hostname P did not save (new in the catalogue, or cut by P's deadline), and every hostname
 * when the condition does not hold, is read by its own query.
 */
export async function previousObservations(
  table: ObservationTable,
  hostnames: string[],
  before: RunPosition,
): Promise<Map<string, HostObservation>> {
  const unique = [...new Set(hostnames)];
  const judged = unique.length === 0 ? null : await lastJudgedRun(table);
  const found =
    judged !== null &&
    runPosition(judged) < runPosition(before) &&
    (await unjudgedRunsBetween(table, judged, before)).length === 0
      ? await savedObservations(table, judged, unique)
      : new Map<string, HostObservation>();
  const missing = unique.filter((hostname) => !found.has(hostname));
  const queried = await forEachHostname(table, missing, (hostname) =>
    newestAtOrBelow(table, hostname, runSk(before), false),
  );
  for (const [hostname, observation] of queried) found.set(hostname, observation);
  return found;
}

/** The state of a hostname in effect at `at` (an instant, or the end of a `YYYY-MM-DD` day). */
export function observationAt(
  table: ObservationTable,
  hostname: string,
  at: string,
): Promise<HostObservation | null> {
  return newestAtOrBelow(table, hostname, `RUN#${historyInstant(at, true)}#${HIGH}`, true);
}

/** The newest observation of a hostname with a sort key at or below (or below) `highSk`. */
async function newestAtOrBelow(
  table: ObservationTable,
  hostname: string,
  highSk: string,
  inclusive: boolean,
): Promise<HostObservation | null> {
  const page = await storeCall(`query ${hostPk(hostname)}`, () =>
    table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": hostPk(hostname), ":low": "RUN#", ":high": highSk },
        ScanIndexForward: false,
        Limit: inclusive ? 1 : 2,
        ConsistentRead: true,
      }),
    ),
  );
  const items = (page.Items ?? []).filter((item) => inclusive || item.sk !== highSk);
  const [newest] = items;
  if (newest === undefined) return null;
  const observation = parseObservation(newest);
  table.revisions.set(observation, {
    sk: String(newest.sk),
    observedAt: observation.observedAt,
    runsSince: 0,
  });
  return observation;
}

/** `read` of each distinct hostname, a bounded number at once; the ones found, by hostname. */
async function forEachHostname(
  table: ObservationTable,
  hostnames: string[],
  read: (hostname: string) => Promise<HostObservation | null>,
): Promise<Map<string, HostObservation>> {
  const found = new Map<string, HostObservation>();
  await Promise.all(
    [...new Set(hostnames)].map((hostname) =>
      table.limit(async () => {
        const observation = await read(hostname);
        if (observation !== null) found.set(hostname, observation);
      }),
    ),
  );
  return found;
}
