import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Limiter } from "#shared/observe/dns/limiter";

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
}
