import type { HostObservation } from "#shared/domain/observation";

/**
 * The observation store port: where runs and per-hostname observations are kept. The DynamoDB
 * adapter is `shared/adapters/dynamodb/observation-store.ts` (layout in TABLE.md).
 */

/** One resolution run, as first recorded. */
export interface DnsRun {
  runId: string;
  /** The run's observation time: the first attempt's `now`; a retried attempt keeps it. */
  observedAt: string;
  hostnames: string[];
}

/** Where a run's observation of a hostname sits in its history. */
export interface RunPosition {
  observedAt: string;
  runId: string;
}

/**
 * A position after every run: `previousObservations(hostnames, AFTER_EVERY_RUN)` is each
 * hostname's current state (what `latestObservations` answers), read as the state before a run
 * is: the runs' saved observations and confirmations in batches, one query per hostname only for
 * those no run saved. For a role that may BatchGetItem; the audit API's may only query.
 */
export const AFTER_EVERY_RUN: Readonly<RunPosition> = Object.freeze({
  observedAt: "\uffff",
  runId: "\uffff",
});

/**
 * A lease on writing a run's observations, per scope (`"run"` for a whole run, `"shard#<n>"` for
 * one shard of a sharded run): while it is live, only its owner writes the scope's history items.
 */
export interface RunLease {
  runId: string;
  scope: string;
  /** A random token of the invocation holding it. */
  owner: string;
  /** Epoch ms: the lease ends then (the invocation cannot write past it). */
  until: number;
}

/**
 * Added to the end an invocation asks its lease for (Lambda: its remaining time): covers the
 * clocks of two invocations and a write sent just before the end. A writer also sends no write
 * when less than this is left of its lease, renewing it first.
 */
export const RUN_LEASE_MARGIN_MS = 30_000;

/** What asking for a lease gave: taken (fresh or over an expired one), or held by another. */
export type RunLeaseOutcome =
  | { taken: true; lease: RunLease; tookOver: boolean }
  | { taken: false; heldBy: string; until: number };

export interface RunLeases {
  /**
   * Takes the lease of `runId`'s `scope` until `until` (epoch ms), unless another invocation
   * holds it live; an expired one is taken over (conditional on its old owner).
   */
  takeRunLease(request: { runId: string; scope: string; until: number }): Promise<RunLeaseOutcome>;
  /** Ends the lease now, if `lease.owner` still holds it. */
  releaseRunLease(lease: RunLease): Promise<void>;
}

export interface ObservationStore extends RunLeases {
  /**
   * Records the run, only if it is new. When an earlier invocation already recorded it,
   * returns that record (`created: false`): its `observedAt` is the one to use.
   */
  beginRun(run: DnsRun): Promise<{ created: boolean; run: DnsRun }>;
  /** Observations this run already saved (by an earlier or concurrent invocation). */
  savedObservations(run: RunPosition, hostnames: string[]): Promise<Map<string, HostObservation>>;
  /** Each hostname's state just before `before`: its newest observation older than that run. */
  previousObservations(
    hostnames: string[],
    before: RunPosition,
  ): Promise<Map<string, HostObservation>>;
  /**
   * Saves a run's observation of a hostname, once. When the run already saved one (a repeated
   * invocation), nothing is written and the stored one is returned (`saved: false`).
   */
  saveObservation(
    observation: HostObservation,
  ): Promise<{ saved: boolean; observation: HostObservation }>;
  /**
   * Saves observations of hostnames this run has not saved, under `lease` (held for the run's
   * scope; checked or renewed before each write): unconditional batch writes, so the lease is
   * what keeps a twin invocation from writing a second observation. Returns the hostnames
   * saved and those that failed (with why); throws when the lease is lost.
   *
   * `previous`: each hostname's state before the run, as `previousObservations` gave it. A
   * hostname whose observation only confirms that state (`confirmsState`) gets no history item
   * of its own: the store records that the run confirmed the revision (observation-revision.ts),
   * and reads give it back as the observation (`savedObservations`, `observationsOfRun`).
   */
  saveObservations(
    observations: readonly HostObservation[],
    lease: RunLease,
    previous?: ReadonlyMap<string, HostObservation>,
  ): Promise<{ saved: HostObservation[]; failed: { hostname: string; error: unknown }[] }>;
}

/**
 * Whether each run's drift was judged: its change events committed by the compare step. The
 * observations are saved before the judge runs, so a process that dies in between leaves a run
 * whose IPs have entered or left the state without their events; the next cycle finds it here
 * and judges it first (shared/detect/judge-unjudged.ts).
 */
export interface RunJudgements {
  /** Runs begun (`beginRun`) and not yet marked judged, oldest first (by observation time). */
  unjudgedRuns(): Promise<DnsRun[]>;
  /** Marks a run judged. A run already marked, or no longer stored, is left as it is. */
  markRunJudged(runId: string): Promise<void>;
}

/** Whether an invocation is still writing a run (a live lease of any of its scopes). */
export interface RunLeaseQueries {
  /** The latest end (epoch ms) of a live lease of the run, or null when none is live at `now`. */
  liveRunLease(runId: string, now: number): Promise<number | null>;
}

/** A hostname that served an IP, from the IP index. */
export interface IpSighting {
  ip: string;
  hostname: string;
  family: 4 | 6;
  /** When the IP first entered the hostname's observed set. */
  firstSeen: string;
  runId: string;
}

/** Read side, for the compare step and for auditors. */
export interface ObservationQueries {
  /** Each hostname's current state (its newest observation); absent when never observed. */
  latestObservations(hostnames: string[]): Promise<Map<string, HostObservation>>;
  /**
   * Every hostname's state as of the run (after it): what the compare step judges when the run
   * is complete, whether the run wrote a new revision of the hostname or confirmed the one before.
   */
  observationsOfRun(run: RunPosition, hostnames: string[]): Promise<Map<string, HostObservation>>;
  /**
   * The state of a hostname in effect at `at` (ISO instant; a date `YYYY-MM-DD` means the end
   * of that UTC day): "what did X resolve to on date D". Null before the first observation.
   */
  observationAt(hostname: string, at: string): Promise<HostObservation | null>;
  /**
   * The observations of a hostname between `from` and `to` (inclusive; ISO instants or dates),
   * oldest first: all of them, or with `limit` only the newest `limit` (the others are not read).
   */
  history(
    hostname: string,
    range?: { from?: string; to?: string; limit?: number },
  ): Promise<HostObservation[]>;
  /** Every hostname that ever had the IP in its observed set. */
  hostsForIp(ip: string): Promise<IpSighting[]>;
}
