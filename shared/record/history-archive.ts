import { gzipSync } from "node:zlib";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";

/**
 * The run history archive: each DNS run's observations as JSON Lines (one hostname a line),
 * gzipped, under `history/dt=YYYY-MM-DD/<runId>.jsonl.gz` (the UTC day of the run's observation
 * time). Written after the run is judged, long before the history items expire (TTL,
 * `historyRetentionDays`), so an auditor can still ask Athena about a run the table no longer
 * holds. The Glue table `run_history` (serverless.yml) reads exactly this shape: keep the two in
 * step (docs/archive.md).
 */

export const HISTORY_ARCHIVE_PREFIX = "history/";
export const HISTORY_ARCHIVE_CONTENT_TYPE = "application/x-ndjson";

/** One line of the archive: a hostname's state after the run, in the Glue table's columns. */
export interface HistoryArchiveLine {
  run_id: string;
  observed_at: string;
  hostname: string;
  outcome: string;
  consecutive_failures: number;
  tracked_since: string;
  observed: {
    ip: string;
    family: number;
    first_seen: string;
    last_seen: string;
    times_seen: number;
  }[];
  entered: string[];
  left: { ip: string; left_at: string | null }[];
  suspicious: { ip: string; address_range: string; resolver: string }[];
  answers: {
    resolver: string;
    outcome: string;
    cname_chain: string[];
    a: { ip: string; ttl: number }[];
    aaaa: { ip: string; ttl: number }[];
    detail: string | null;
  }[];
}

/** Where a run's history is archived: partitioned by the UTC day it was observed. */
export function historyArchiveKey(run: { runId: string; observedAt: string }): string {
  const day = new Date(run.observedAt).toISOString().slice(0, 10);
  const name = run.runId.replace(/[^A-Za-z0-9._:-]/g, "_");
  return `${HISTORY_ARCHIVE_PREFIX}dt=${day}/${name}.jsonl.gz`;
}

export function historyArchiveLine(observation: HostObservation): HistoryArchiveLine {
  return {
    run_id: observation.runId,
    observed_at: observation.observedAt,
    hostname: observation.hostname,
    outcome: observation.outcome,
    consecutive_failures: observation.consecutiveFailures,
    tracked_since: observation.trackedSince,
    observed: observation.active.map((ip) => ({
      ip: ip.ip,
      family: ip.family,
      first_seen: ip.firstSeen,
      last_seen: ip.lastSeen,
      times_seen: ip.timesSeen,
    })),
    entered: observation.entered,
    left: observation.left.map((ip) => ({ ip: ip.ip, left_at: ip.leftAt ?? null })),
    suspicious: observation.suspicious.map((s) => ({
      ip: s.ip,
      address_range: s.range,
      resolver: s.resolver,
    })),
    answers: observation.answers.map((answer) => ({
      resolver: answer.resolver,
      outcome: answer.outcome,
      cname_chain: answer.cnameChain,
      a: answer.a,
      aaaa: answer.aaaa,
      detail: answer.detail ?? null,
    })),
  };
}

/**
 * JSON Lines: one JSON object a line, each ending in LF, sorted by hostname (the same run always
 * gives the same bytes). JSON.stringify escapes every control character, so a value never breaks
 * a line.
 */
export function encodeHistoryJsonLines(observations: readonly HostObservation[]): string {
  return [...observations]
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0))
    .map((observation) => `${JSON.stringify(historyArchiveLine(observation))}\n`)
    .join("");
}

/**
 * Archives a run's observations (all of one run): the gzipped JSON Lines under its key, written
 * whole each time (a redelivered run writes the same bytes again; no read, so the writer needs
 * only s3:PutObject on `history/*`). Returns the key, or null for a run with no observation.
 */
export async function archiveRunHistory(
  archive: Pick<ObjectArchive, "putIfChanged">,
  observations: readonly HostObservation[],
): Promise<string | null> {
  const [first] = observations;
  if (first === undefined) return null;
  const key = historyArchiveKey(first);
  const bytes = gzipSync(encodeHistoryJsonLines(observations));
  await archive.putIfChanged(
    key,
    bytes,
    HISTORY_ARCHIVE_CONTENT_TYPE,
    { "run-id": first.runId, hostnames: String(observations.length) },
    { overwrite: true },
  );
  return key;
}
