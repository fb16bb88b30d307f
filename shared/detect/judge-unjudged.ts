import { compareText } from "#shared/domain/canonical";
import type { FeedId, FeedIngestResult } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import {
  AFTER_EVERY_RUN,
  type DnsRun,
  type ObservationStore,
  type RunJudgements,
  type RunLeaseQueries,
} from "#shared/observe/dns/observation-store";
import {
  type CurrentRanges,
  loadCurrentRanges,
  type UnreadableSnapshotLogger,
} from "#shared/observe/feeds/load-matchers";
import type {
  FeedChangeJudgements,
  FeedPointerStore,
  UnjudgedFeedChange,
} from "#shared/observe/feeds/ports";
import { archiveRunHistory } from "#shared/record/history-archive";
import { type Catalogues, catalogueList, judgeEachCatalogue, unionHostnames } from "./catalogues";
import type { JudgeDrift, JudgeDriftResult } from "./judge-drift";
import { standingObservation } from "./judge-feed-ingest";

export interface JudgeUnjudgedDeps {
  observations: Pick<ObservationStore, "savedObservations" | "previousObservations"> &
    RunJudgements &
    RunLeaseQueries;
  feedPointers: FeedPointerStore & FeedChangeJudgements;
  archive: ObjectArchive;
  judgeDrift: JudgeDrift;
  /** Warnings; an unreadable archived feed snapshot goes to `error` when the logger has one. */
  logger?: UnreadableSnapshotLogger;
}

export interface JudgeUnjudgedInput {
  /**
   * The catalogue(s) to judge against (the current ones, each in turn); read only when something
   * is left.
   */
  catalogue: () => Promise<Catalogues>;
  /** Judge the DNS runs left unjudged (the resolve function and the CLI cycle do). */
  dnsRuns: boolean;
  /** The feeds whose unjudged changes to judge (the ingest function and the CLI cycle). */
  feeds: readonly FeedId[];
  /** The run about to start: a redelivered run resumes and judges itself when it completes. */
  exceptRunId?: string;
  /** Epoch ms, to tell a live run lease (default Date.now). */
  now?: number;
  /**
   * The caller holds the store alone (the local state directory's lock): no other invocation
   * can be writing, so a run lease still live was left by a process that died or was
   * interrupted, and its run is judged now.
   */
  exclusiveStore?: boolean;
}

/** One earlier run (a DNS run, feed changes, or both under one run id) judged now. */
export interface JudgedBacklog {
  runId: string;
  /** The verdicts' time: the run's observation time, or the ingest's. */
  judgedAt: string;
  /** Hostnames of the run whose saved observations were judged (0 for feed changes alone). */
  savedHostnames: number;
  feedChanges: { feed: FeedId; changeId: string }[];
  drift: JudgeDriftResult;
}

interface Backlog {
  runId: string;
  at: string;
  run?: DnsRun;
  changes: UnjudgedFeedChange[];
}

/**
 * Use case: before a cycle observes anything new, judge what an earlier cycle saved and did not
 * judge. Observations and feed pointers are written before their change events are committed (the
 * events are computed from them), so a process that dies in between — and whose run is not
 * redelivered: the CLI takes a fresh run id per invocation, a Lambda may run out of retries —
 * leaves state that has moved on without its notifications. The stores keep that fact (a run
 * record in the unjudged index, a change on the pointer's unjudged list) until the judge marks it.
 *
 * 1. List the DNS runs not marked judged (oldest first), but those an invocation still writes
 *    (a live lease: it judges them itself, or its lease ends and a later cycle does), and the
 *    unjudged changes of each feed.
 * 2. Nothing left: return; nothing else is read.
 * 3. Group them by run id (a CLI cycle's DNS run and its feed changes share one), oldest first.
 * 4. Per group: the run's saved observations, every other catalogued hostname's state as
 *    standing state (no transitions; `standingStates`), the changes as the ingests reported
 *    them, and the current range matchers.
 * 5. Per catalogue, compare and commit under the group's own run id and time. Event ids are
 *    deterministic, so what an interrupted judge already committed is not committed twice, and a
 *    change set it started is completed (record/commit-drift-events.ts rejoins by run id). Then,
 *    after the last catalogue, mark the run and the changes judged; a crash before the mark
 *    means one more, idempotent, judge of every catalogue.
 *
 * A run interrupted while saving (and never resumed) is judged with what it saved. Its saved
 * observations are final: those hostnames' state advanced in this run, so their `entered` and
 * `left` IPs happened here and nowhere else, and judging them now is the only way they are ever
 * notified. The hostnames it did not save kept their previous state, so the next run computes
 * their changes against that state and judges them itself; filling them in here as standing
 * state raises nothing for them twice. A run still in flight elsewhere, listed because it is not
 * marked yet, is judged with what it has saved so far and judges itself again when it completes,
 * under the same run id: the same ids, nothing committed twice.
 *
 * A kept change is judged from its saved diff (the added and removed prefixes and both
 * snapshots' meta): no archived snapshot is read for it, so a change whose snapshots are gone
 * from the archive is still judged and marked. The current matchers are read as in any cycle: a
 * feed whose current archived snapshot is unreadable has none (logged), so relevance by region
 * falls back to the withdrawn prefixes of the diff, and no IP is judged outside its ranges.
 */
export async function judgeUnjudged(
  deps: JudgeUnjudgedDeps,
  input: JudgeUnjudgedInput,
): Promise<JudgedBacklog[]> {
  // 1.
  const runs = input.dnsRuns ? await runsToJudge(deps, input) : [];
  const changes: UnjudgedFeedChange[] = [];
  for (const feed of input.feeds) {
    const pointer = await deps.feedPointers.get(feed);
    changes.push(...(pointer?.unjudged ?? []));
  }
  // 2.
  if (runs.length === 0 && changes.length === 0) return [];

  // 3.
  const groups = new Map<string, Backlog>();
  const groupOf = (runId: string, at: string): Backlog => {
    const group = groups.get(runId) ?? { runId, at, changes: [] };
    if (at < group.at) group.at = at;
    groups.set(runId, group);
    return group;
  };
  for (const run of runs) groupOf(run.runId, run.observedAt).run = run;
  for (const change of changes) groupOf(change.runId, change.acceptedAt).changes.push(change);
  const ordered = [...groups.values()].sort(
    (a, b) => compareText(a.at, b.at) || compareText(a.runId, b.runId),
  );

  const catalogues = catalogueList(await input.catalogue());
  const hostnames = unionHostnames(catalogues);
  let ranges: CurrentRanges | undefined;
  const judged: JudgedBacklog[] = [];
  for (const group of ordered) {
    deps.logger?.warn("judging a run left unjudged by an earlier cycle", {
      runId: group.runId,
      dnsRun: group.run !== undefined,
      feedChanges: group.changes.length,
    });
    // 4.
    const saved =
      group.run === undefined
        ? new Map<string, HostObservation>()
        : await deps.observations.savedObservations(
            { runId: group.run.runId, observedAt: group.run.observedAt },
            group.run.hostnames,
          );
    const missing = hostnames.filter((hostname) => !saved.has(hostname));
    const standingOf = await standingStates(deps.observations, group.run, missing);
    const observations = hostnames.flatMap((hostname) => {
      const own = saved.get(hostname);
      if (own !== undefined) return [own];
      const standing = standingOf.get(hostname);
      return standing === undefined ? [] : [standingObservation(standing)];
    });
    ranges ??= await loadCurrentRanges({
      archive: deps.archive,
      pointers: deps.feedPointers,
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
    const judgedAt = group.run?.observedAt ?? group.at;

    // 5.
    const feeds = {
      results: group.changes.map(ingestResultOf),
      matchers: ranges.matchers,
      unreadable: ranges.unreadable.map((error) => error.feed),
    };
    const drift = await judgeEachCatalogue(deps.judgeDrift, catalogues, {
      observations,
      feeds,
      now: new Date(judgedAt),
      runId: group.runId,
    });
    if (group.run !== undefined) {
      // Archived before the mark: a failed write leaves the run for the next cycle.
      await archiveRunHistory(deps.archive, [...saved.values()]);
      await deps.observations.markRunJudged(group.run.runId);
    }
    for (const feed of new Set(group.changes.map((change) => change.diff.feed))) {
      const ids = group.changes.filter((c) => c.diff.feed === feed).map((c) => c.changeId);
      await deps.feedPointers.markChangesJudged(feed, ids);
    }
    judged.push({
      runId: group.runId,
      judgedAt,
      savedHostnames: saved.size,
      feedChanges: group.changes.map((c) => ({ feed: c.diff.feed, changeId: c.changeId })),
      drift,
    });
  }
  return judged;
}

/**
 * The standing state of the hostnames a group did not save. For a DNS run, their state just
 * before it (`previousObservations`: the runs it followed, read in batches). A run killed while
 * saving confirmed none of its hostnames; their newest items, read one query per hostname
 * (`latestObservations`), took 10,000 queries and 12 s at 10,000 hostnames. For feed changes
 * alone, their current state (`AFTER_EVERY_RUN`), read the same way.
 */
async function standingStates(
  observations: JudgeUnjudgedDeps["observations"],
  run: DnsRun | undefined,
  missing: string[],
): Promise<Map<string, HostObservation>> {
  if (missing.length === 0) return new Map();
  const before =
    run === undefined ? AFTER_EVERY_RUN : { runId: run.runId, observedAt: run.observedAt };
  return observations.previousObservations(missing, before);
}

/** Step 1: the unjudged DNS runs no invocation holds a live lease on. */
async function runsToJudge(deps: JudgeUnjudgedDeps, input: JudgeUnjudgedInput): Promise<DnsRun[]> {
  const now = input.now ?? Date.now();
  const runs: DnsRun[] = [];
  for (const run of await deps.observations.unjudgedRuns()) {
    if (run.runId === input.exceptRunId) continue;
    if (input.exclusiveStore === true) {
      runs.push(run);
      continue;
    }
    const leasedUntil = await deps.observations.liveRunLease(run.runId, now);
    if (leasedUntil === null) {
      runs.push(run);
      continue;
    }
    deps.logger?.warn("not judging a run another invocation still writes", {
      runId: run.runId,
      leasedUntil: new Date(leasedUntil).toISOString(),
    });
  }
  return runs;
}

/** A kept change as the ingest that accepted it reported it (same evidence, same ids). */
function ingestResultOf(change: UnjudgedFeedChange): FeedIngestResult {
  const { diff } = change;
  return {
    feed: diff.feed,
    status: diff.from.sha256 === diff.to.sha256 ? "unchanged" : "updated",
    current: diff.to,
    confirmedAt: change.acceptedAt,
    diff,
  };
}
