import { FAILURE_OUTCOMES, type HostObservation } from "#shared/domain/observation";
import type { DriftEvent } from "../drift-event";
import type { EndpointCase } from "./endpoint-case";
import { latest } from "./times";

/** A failure streak of the failure threshold or more: never a removal, kept apart by outcome. */
export function resolutionFailed(c: EndpointCase): DriftEvent[] {
  const { observation } = c;
  if (!FAILURE_OUTCOMES.includes(observation.outcome)) return [];
  if (observation.consecutiveFailures < c.run.input.options.failureThreshold) return [];
  const lastSeen = lastSighting(observation);
  return [
    c.emit({
      type: "resolution-failed",
      severity: "medium",
      evidence: {
        observedAt: observation.observedAt,
        outcome: observation.outcome,
        consecutiveFailures: observation.consecutiveFailures,
        answers: c.answers,
      },
      reason:
        `${c.hostname} failed to resolve (${observation.outcome.toUpperCase()}) in ` +
        `${observation.consecutiveFailures} consecutive runs; ` +
        (lastSeen === null
          ? "it has not answered with an address since it was first tracked."
          : `last answered with an address ${lastSeen}.`),
      action:
        `No firewall change: keep ${c.rule} as it is (a failure is not a removal). Check the ` +
        `resolvers; if the vendor retired ${c.hostname}, update the catalogue.`,
      cause: { outcome: observation.outcome, since: lastSeen ?? observation.trackedSince },
    }),
  ];
}

/** When any IP of the hostname was last seen: the last successful answer with an address. */
function lastSighting(observation: HostObservation): string | null {
  return latest(
    [...observation.active, ...observation.left, ...observation.departed].map((ip) => ip.lastSeen),
  );
}
