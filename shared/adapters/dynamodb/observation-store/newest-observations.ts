import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import type { RunPosition } from "#shared/observe/dns/observation-store";
import { runConfirmations } from "./confirmations";
import { historyInstant } from "./history-instant";
import { parseObservation } from "./observation-item";
import { HIGH, hostPk, runPosition, runSk } from "./observation-keys";
import { storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";
import { confirmedState, rememberItem } from "./revision-refs";
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
    newest.set(revision.hostname, confirmedState(table, revision, judged, confirmation));
  }
  return newest;
}

/**
 * Each hostname's state just before `before`: what the newest run before it saved of it, a
 * history item or a confirmation of its revision (`savedObservations`).
 *
 * Read in batches: runs are judged after they saved, so the runs between the newest judged run
 * P and `before` are the unjudged ones of the index (none in steady state, a run that died before
 * its compare step otherwise). They are read newest first, then P, each for the hostnames not
 * found yet. A hostname none of them saved (new in the catalogue, or cut by a deadline) is read
 * by its own query: its newest item below `before`, which counts no run that confirmed it since.
 */
export async function previousObservations(
  table: ObservationTable,
  hostnames: string[],
  before: RunPosition,
): Promise<Map<string, HostObservation>> {
  const found = new Map<string, HostObservation>();
  let missing = [...new Set(hostnames)];
  if (missing.length === 0) return found;
  const judged = await lastJudgedRun(table);
  const since = judged !== null && runPosition(judged) < runPosition(before) ? judged : null;
  const unjudged = await unjudgedRunsBetween(table, since ?? { observedAt: "", runId: "" }, before);
  const runs = [...unjudged.reverse().map(positionOf), ...(since === null ? [] : [since])];
  for (const run of runs) {
    if (missing.length === 0) break;
    const saved = await savedObservations(table, run, missing);
    for (const [hostname, observation] of saved) found.set(hostname, observation);
    missing = missing.filter((hostname) => !saved.has(hostname));
  }
  const queried = await forEachHostname(table, missing, (hostname) =>
    newestAtOrBelow(table, hostname, runSk(before), false),
  );
  for (const [hostname, observation] of queried) found.set(hostname, observation);
  return found;
}

/** A run's place in the index (`<observedAt>#<runId>`) as a position. */
function positionOf(position: string): RunPosition {
  const at = position.indexOf("#");
  return { observedAt: position.slice(0, at), runId: position.slice(at + 1) };
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
  rememberItem(table, observation);
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
