import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_HISTORY_RETENTION_DAYS } from "#shared/observe/dns/config";
import { createLimiter } from "#shared/observe/dns/limiter";
import type {
  ObservationQueries,
  ObservationStore,
  RunJudgements,
  RunLeaseQueries,
} from "#shared/observe/dns/observation-store";
import type { ObservationPages } from "#shared/query/pages";
import { hostsForIp } from "./observation-store/hosts-for-ip";
import {
  latestObservations,
  observationAt,
  previousObservations,
} from "./observation-store/newest-observations";
import { observationHistory } from "./observation-store/observation-history";
import { observationHistoryPage } from "./observation-store/observation-history-page";
import type { ObservationTable } from "./observation-store/observation-table";
import { liveRunLease, releaseRunLease, takeRunLease } from "./observation-store/run-lease";
import { beginRun, markRunJudged, unjudgedRuns } from "./observation-store/run-records";
import { saveObservation } from "./observation-store/save-observation";
import { saveObservations } from "./observation-store/save-observations";
import { savedObservations } from "./observation-store/saved-observations";

/**
 * DNS observations in the driftwatch table (layout: TABLE.md, "DNS observations"):
 * - run record `RUN#<runId>` / `RUN`, put once (conditional), so a repeated run is detected;
 * - run lease `RUN#<runId>` / `LEASE#<scope>`: the one invocation writing the run's (or shard's)
 *   history items, which it writes by BatchWriteItem;
 * - an immutable history item (a revision), `HOST#<hostname>` / `RUN#<observedAt>#<runId>`,
 *   carrying the run's answers AND the state carried forward, for each hostname whose state the
 *   run changed; the hostnames it saw unchanged are in its confirmations
 *   (`RUN#<runId>` / `CONFIRMED#…`, observation-store/confirmations.ts), so a steady-state run
 *   writes no item per hostname;
 * - IP index `IP#<ip>` / `HOST#<hostname>`, written only when an IP first enters.
 * A run record is begun in the sparse index `gsi1` (`UNJUDGED_RUN`) and leaves it when the
 * compare step has committed the run's drift (`markRunJudged`).
 *
 * The item mapping is in `observation-store/*-item.ts` (pure), each query and command in a
 * module of its own beside it; errors: `observation-store/observation-store-error.ts`.
 */
export interface DynamoObservationStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Days a history item and run record are kept (DynamoDB TTL); default 400. */
  historyRetentionDays?: number;
  /** Queries in flight at once when reading many hostnames; default 8. */
  queryConcurrency?: number;
  /** Epoch-ms clock of the run leases (default Date.now). */
  clock?: () => number;
  /** First backoff of a batch write's unprocessed items, doubled each retry; default 50 ms. */
  batchRetryBaseMs?: number;
}

/** A hostname's unchanged state is written again after this many days (or half the retention). */
const REVISION_REFRESH_DAYS = 30;

export function createDynamoObservationStore(
  options: DynamoObservationStoreOptions,
): ObservationStore & ObservationQueries & ObservationPages & RunJudgements & RunLeaseQueries {
  const retentionSeconds =
    (options.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS) * 86_400;
  const table: ObservationTable = {
    documents: options.documents,
    tableName: options.tableName,
    expiresAt: (observedAt) => Math.floor(Date.parse(observedAt) / 1000) + retentionSeconds,
    limit: createLimiter(options.queryConcurrency ?? 8),
    clock: options.clock ?? Date.now,
    retryBaseMs: options.batchRetryBaseMs ?? 50,
    revisions: new WeakMap(),
    revisionRefreshMs: Math.min(REVISION_REFRESH_DAYS * 86_400_000, (retentionSeconds * 1000) / 2),
  };
  return {
    beginRun: (run) => beginRun(table, run),
    savedObservations: (run, hostnames) => savedObservations(table, run, hostnames),
    observationsOfRun: (run, hostnames) => savedObservations(table, run, hostnames),
    previousObservations: (hostnames, before) => previousObservations(table, hostnames, before),
    saveObservation: (observation) => saveObservation(table, observation),
    saveObservations: (observations, lease, previous) =>
      saveObservations(table, observations, lease, previous),
    takeRunLease: (request) => takeRunLease(table, request),
    releaseRunLease: (lease) => releaseRunLease(table, lease),
    liveRunLease: (runId, now) => liveRunLease(table, runId, now),
    latestObservations: (hostnames) => latestObservations(table, hostnames),
    observationAt: (hostname, at) => observationAt(table, hostname, at),
    history: (hostname, range) => observationHistory(table, hostname, range),
    historyPage: (hostname, page) => observationHistoryPage(table, hostname, page),
    unjudgedRuns: () => unjudgedRuns(table),
    markRunJudged: (runId) => markRunJudged(table, runId),
    hostsForIp: (ip) => hostsForIp(table, ip),
  };
}
