import type { HostObservation } from "#shared/domain/observation";

/** One run of a hostname's history, as `history --json` lists it. */
export interface RunSummary {
  observedAt: string;
  runId: string;
  outcome: HostObservation["outcome"];
  consecutiveFailures: number;
  /** The observed set after the run. */
  observed: string[];
  entered: string[];
  left: string[];
  suspicious: { ip: string; range: string }[];
}

export function runSummary(observation: HostObservation): RunSummary {
  return {
    observedAt: observation.observedAt,
    runId: observation.runId,
    outcome: observation.outcome,
    consecutiveFailures: observation.consecutiveFailures,
    observed: observation.active.map((ip) => ip.ip),
    entered: observation.entered,
    left: observation.left.map((ip) => ip.ip),
    suspicious: observation.suspicious.map((s) => ({ ip: s.ip, range: s.range })),
  };
}
