import type { HostObservation } from "#shared/domain/observation";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";

export interface HostnameAtDeps {
  observations: Pick<ObservationQueries, "latestObservations" | "observationAt">;
}

export interface HostnameAtInput {
  /** A normalised hostname (`HostnameField`). */
  hostname: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO instant (`When.value`). */
  at: string;
}

export type HostnameAt =
  | { status: "never-observed"; hostname: string }
  /** Asked for a time before the hostname's first observation. */
  | { status: "not-yet-observed"; hostname: string; trackedSince: string }
  /** The observation in effect then: the observed set and the answers of its run. */
  | { status: "observed"; hostname: string; observation: HostObservation };

/**
 * What a hostname resolved to at a time (`driftwatch history HOSTNAME --at`):
 * 1. Read the hostname's newest observation: none means it was never observed.
 * 2. Read the observation in effect at `at`: none means `at` is before the first one.
 */
export async function queryHostnameAt(
  deps: HostnameAtDeps,
  input: HostnameAtInput,
): Promise<HostnameAt> {
  const { hostname } = input;
  const latest = (await deps.observations.latestObservations([hostname])).get(hostname);
  if (latest === undefined) return { status: "never-observed", hostname };
  const observation = await deps.observations.observationAt(hostname, input.at);
  if (observation === null) {
    return { status: "not-yet-observed", hostname, trackedSince: latest.trackedSince };
  }
  return { status: "observed", hostname, observation };
}
