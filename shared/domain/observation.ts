/**
 * What DNS resolution saw, per hostname: the contract between observe (DNS) and compare.
 * Times are ISO-8601 UTC strings; run ids are deterministic from the scheduled time.
 */

/** Typed outcome of resolving one hostname. A failure is never an empty answer. */
export type ResolutionOutcome =
  | "answered"
  | "nxdomain"
  | "nodata"
  | "servfail"
  | "refused"
  | "timeout"
  | "error";

export const FAILURE_OUTCOMES: readonly ResolutionOutcome[] = [
  "nxdomain",
  "servfail",
  "refused",
  "timeout",
  "error",
];

export interface ResolverAnswer {
  /** `host:port` of the resolver that gave this answer. */
  resolver: string;
  outcome: ResolutionOutcome;
  /** CNAME chain from the queried name to the final name, in order (empty when none). */
  cnameChain: string[];
  a: { ip: string; ttl: number }[];
  aaaa: { ip: string; ttl: number }[];
  /** Human-readable reason for a failure (e.g. `ETIMEOUT after 3 tries`). */
  detail?: string;
  /**
   * Outcome of the A and the AAAA query apart (`outcome` combines them): an IP of a family whose
   * query failed is not counted as absent.
   */
  families?: { a: ResolutionOutcome; aaaa: ResolutionOutcome };
  /** How many queries of this resolver were merged into this answer (round-robin sampling). */
  samples?: number;
  /**
   * Families whose NODATA the run did not trust as absence (implausible-absence.ts turned it into
   * `error`): a resumed run counts them again when it judges the rest of the run's answers.
   */
  untrustedNodata?: ("a" | "aaaa")[];
}

export interface ObservedIp {
  ip: string;
  family: 4 | 6;
  firstSeen: string;
  lastSeen: string;
  timesSeen: number;
  /** Resolvers that ever returned it. */
  resolvers: string[];
  /** Successful runs in a row that did not return it (0 when seen in the last run). */
  absentRuns?: number;
  /** When it left the observed set (set on `left` and `departed` entries). */
  leftAt?: string;
}

export interface SuspiciousAnswer {
  ip: string;
  /** ipaddr.js range name, e.g. `private`, `loopback`, `carrierGradeNat`, `reserved`. */
  range: string;
  resolver: string;
}

/** The state of one hostname after a run: its observed set and what changed in this run. */
export interface HostObservation {
  hostname: string;
  runId: string;
  observedAt: string;
  /** `answered` when at least one resolver answered; otherwise the most telling failure. */
  outcome: ResolutionOutcome;
  /** Runs in a row without a usable answer (0 after a successful run). */
  consecutiveFailures: number;
  /** The observed set: IPs that entered and have not left after the grace period. */
  active: ObservedIp[];
  /** IPs that entered the observed set in this run. */
  entered: string[];
  /** IPs that left the observed set in this run (absent for the whole grace period). */
  left: ObservedIp[];
  /** IPs seen before that are no longer in the observed set, kept for `documented-ip-unused`. */
  departed: ObservedIp[];
  /** When this hostname was first tracked (so "never used since" has a start). */
  trackedSince: string;
  /** Private/reserved answers in this run; they never enter the observed set. */
  suspicious: SuspiciousAnswer[];
  /** Raw evidence of this run, one per resolver. */
  answers: ResolverAnswer[];
  /** The grace period this run applied (the longest of the hostname's policies). */
  grace?: { runs: number; hours: number };
}
