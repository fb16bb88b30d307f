import type { HostObservation } from "#shared/domain/observation";
import { confirmedObservation } from "#shared/observe/dns/observation-revision";
import type { RunPosition } from "#shared/observe/dns/observation-store";
import type { Confirmation } from "./confirmations";
import { runSk } from "./observation-keys";
import type { ObservationTable } from "./observation-table";

/**
 * What the store remembers of each state it hands out or saves (`ObservationTable.revisions`):
 * the revision it stands for, so that `saveObservations` may confirm it.
 */

/** A state that is its own history item (written by its run, or read as it is stored). */
export function rememberItem(table: ObservationTable, observation: HostObservation): void {
  table.revisions.set(observation, {
    sk: runSk(observation),
    observedAt: observation.observedAt,
    runsSince: 0,
    revision: observation,
  });
}

/** The state `run` stands for by its confirmation of `revision`, remembered as such. */
export function confirmedState(
  table: ObservationTable,
  revision: HostObservation,
  run: RunPosition,
  confirmation: Pick<Confirmation, "revisionSk" | "runsSince">,
): HostObservation {
  const observation = confirmedObservation(revision, run, confirmation.runsSince);
  table.revisions.set(observation, {
    sk: confirmation.revisionSk,
    observedAt: revision.observedAt,
    runsSince: confirmation.runsSince,
    revision,
  });
  return observation;
}
