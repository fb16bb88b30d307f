import type { HostObservation } from "#shared/domain/observation";

/** Counts of a run's observations, for its log line and the Lambda's response. */
export function summariseRun(observations: readonly HostObservation[]) {
  return {
    answered: observations.filter((o) => o.outcome === "answered").length,
    failing: observations.filter((o) => o.consecutiveFailures > 0).length,
    entered: observations.reduce((sum, o) => sum + o.entered.length, 0),
    left: observations.reduce((sum, o) => sum + o.left.length, 0),
    suspicious: observations.reduce((sum, o) => sum + o.suspicious.length, 0),
  };
}
