import type { HostObservation } from "#shared/domain/observation";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";

export interface HostnameHistoryDeps {
  observations: Pick<ObservationQueries, "latestObservations" | "history">;
}

export interface HostnameHistoryInput {
  /** A normalised hostname (`HostnameField`). */
  hostname: string;
  /** Runs at or after / at or before this: `YYYY-MM-DD` or an ISO instant (`When.value`). */
  from?: string;
  to?: string;
  /** At most this many runs, the newest. */
  limit: number;
}

export type HostnameHistory =
  | { status: "never-observed"; hostname: string }
  | {
      status: "observed";
      hostname: string;
      /** Newest first, at most `limit`. */
      runs: HostObservation[];
      /** The runs in the range, or null when there are more than `limit` (not all were read). */
      total: number | null;
    };

/**
 * What a hostname resolved to, run by run (`driftwatch history HOSTNAME`):
 * 1. Read the hostname's newest observation: none means it was never observed.
 * 2. Read the runs in the range, the newest `limit` + 1 (one more than shown tells whether older
 *    runs exist; the rest of the range is not read).
 * 3. Answer them newest first, at most `limit`, with their count when all were read.
 */
export async function queryHostnameHistory(
  deps: HostnameHistoryDeps,
  input: HostnameHistoryInput,
): Promise<HostnameHistory> {
  const { hostname, limit } = input;
  const latest = (await deps.observations.latestObservations([hostname])).get(hostname);
  if (latest === undefined) return { status: "never-observed", hostname };
  const runs = await deps.observations.history(hostname, {
    ...(input.from !== undefined ? { from: input.from } : {}),
    ...(input.to !== undefined ? { to: input.to } : {}),
    limit: limit + 1,
  });
  const newestFirst = runs.reverse();
  const shown = newestFirst.slice(0, limit);
  const total = newestFirst.length > limit ? null : shown.length;
  return { status: "observed", hostname, runs: shown, total };
}
