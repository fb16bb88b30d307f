import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { HostObservation } from "#shared/domain/observation";
import type { Limiter } from "#shared/observe/dns/limiter";

/** Which stored revision a state read (or saved) by this store stands for. */
export interface RevisionRef {
  /** The sort key of the revision's history item. */
  sk: string;
  /** When the revision was observed (its item's TTL counts from then). */
  observedAt: string;
  /** Runs that confirmed it since it was written (0: the state is the item itself). */
  runsSince: number;
  /** The revision itself (the observation its history item holds), listed with a confirmation. */
  revision: HostObservation;
}

/** What every query and command of the observation store works with. */
export interface ObservationTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The TTL (epoch seconds) of a run record or history item observed at `observedAt`. */
  expiresAt(observedAt: string): number;
  /** Bounds the queries in flight when reading many hostnames. */
  limit: Limiter;
  /** Epoch-ms clock of the run leases. */
  clock: () => number;
  /** The first backoff of a batch write's unprocessed items (doubled each retry). */
  retryBaseMs: number;
  /**
   * The revision behind each state this store handed out or saved: a run may confirm the state
   * it was given as previous only when the store knows which revision that is.
   */
  revisions: WeakMap<HostObservation, RevisionRef>;
  /**
   * A revision older than this (ms) is written again instead of confirmed, so the current state
   * of a hostname never reaches its TTL however long it stays the same.
   */
  revisionRefreshMs: number;
}
