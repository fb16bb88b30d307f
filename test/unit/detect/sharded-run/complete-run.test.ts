import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { JudgeDrift } from "#shared/detect/judge-drift";
import {
  checkShardReports,
  completeShardedRun,
  IncompleteShardedRunError,
} from "#shared/detect/sharded-run/complete-run";
import {
  manifestOf,
  planShards,
  type RunManifest,
  runTargets,
} from "#shared/detect/sharded-run/plan-shards";
import type { ShardReport } from "#shared/detect/sharded-run/resolve-shard";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import {
  catalogue,
  HOSTS,
  NOW,
  OPTIONS,
  observation,
  RUN_ID,
} from "#test/helpers/verdict-fixtures";

/**
 * The completion step with in-memory stores: it judges once, over every hostname, only when
 * every shard reported; otherwise it refuses and nothing is judged or marked.
 */

const PLAN = planShards(catalogue, { runId: RUN_ID, observedAt: NOW.toISOString() }, { shards: 3 });
const MANIFEST: RunManifest = manifestOf(PLAN);
const HOSTNAMES = runTargets(catalogue).map((target) => target.hostname);

function reportOf(shard: number, overrides: Partial<ShardReport> = {}): ShardReport {
  const task = PLAN.shards[shard];
  if (task === undefined) throw new Error(`no shard ${shard}`);
  return {
    runId: RUN_ID,
    shard,
    shardCount: PLAN.shardCount,
    hostnames: task.targets.length,
    hostnamesDigest: "d".repeat(64),
    answered: task.targets.length,
    failing: 0,
    entered: 0,
    left: 0,
    duplicate: false,
    durationMs: 10,
    ...overrides,
  };
}
const ALL_REPORTS = PLAN.shards.map((task) => reportOf(task.shard));

/** A store holding `observations` as the run's; judgements and reads are kept. */
function runStore(observations: HostObservation[]) {
  const marked: string[] = [];
  const reads: DnsRun[] = [];
  return {
    marked,
    reads,
    observationsOfRun: async (run: DnsRun, hostnames: string[]) => {
      reads.push(run);
      return new Map(
        observations.filter((o) => hostnames.includes(o.hostname)).map((o) => [o.hostname, o]),
      );
    },
    markRunJudged: async (run: DnsRun | string) => {
      marked.push(typeof run === "string" ? run : run.runId);
    },
  };
}

function judgeSpy() {
  const inputs: Parameters<JudgeDrift>[0][] = [];
  const judgeDrift: JudgeDrift = async (input) => {
    inputs.push(input);
    return {
      events: evaluateDrift({ ...input, options: OPTIONS }),
      changeSets: [],
      committed: 0,
      published: 0,
      publishFailures: [],
      allowlistsWritten: [],
    };
  };
  return { inputs, judgeDrift };
}

const emptyArchive: ObjectArchive = {
  putIfChanged: () => Promise.reject(new Error("not written in these tests")),
  get: async () => null,
  exists: async () => false,
};
const noFeeds = {
  get: async () => null,
  put: () => Promise.reject(new Error("not written in these tests")),
};

const steady = () => HOSTNAMES.map((hostname) => observation(hostname, { active: ["192.0.2.10"] }));

describe("checkShardReports", () => {
  it("accepts one report per shard whose hostnames add up to the run's", () => {
    expect(() => checkShardReports(MANIFEST, ALL_REPORTS)).not.toThrow();
  });

  it.each([
    ["a shard missing", ALL_REPORTS.slice(1), /no report from shard\(s\) 0/],
    ["a shard twice", [...ALL_REPORTS, reportOf(2)], /repeated 2/],
    [
      "a shard of another run",
      [reportOf(0, { runId: "other" }), ...ALL_REPORTS.slice(1)],
      /another run/,
    ],
    ["an unknown shard", [...ALL_REPORTS, reportOf(0, { shard: 7 })], /unknown 7/],
    [
      "a shard short of hostnames",
      [reportOf(0, { hostnames: 1 }), ...ALL_REPORTS.slice(1)],
      /saved \d+ of \d+ hostnames/,
    ],
  ])("refuses %s", (_case, reports, problem) => {
    expect(() => checkShardReports(MANIFEST, reports)).toThrow(IncompleteShardedRunError);
    expect(() => checkShardReports(MANIFEST, reports)).toThrow(problem);
  });
});

describe("completeShardedRun", () => {
  it("judges once over every hostname's state as of the run, then marks the run judged", async () => {
    // Prepare
    const store = runStore(steady());
    const judge = judgeSpy();

    // Act
    const { observations } = await completeShardedRun(
      {
        observations: store,
        archive: emptyArchive,
        feedPointers: noFeeds,
        judgeDrift: judge.judgeDrift,
      },
      { catalogue, manifest: MANIFEST, reports: ALL_REPORTS, now: NOW },
    );

    // Assess
    expect(observations.map((o) => o.hostname)).toEqual(HOSTNAMES);
    expect(judge.inputs).toHaveLength(1);
    expect(judge.inputs[0]?.observations.map((o) => o.hostname)).toEqual(HOSTNAMES);
    expect(judge.inputs[0]?.runId).toBe(RUN_ID);
    expect(store.reads).toEqual([
      { runId: RUN_ID, observedAt: NOW.toISOString(), hostnames: HOSTNAMES },
    ]);
    expect(store.marked).toEqual([RUN_ID]);
  });

  it("refuses without judging when a shard has not reported (a failed shard is never an empty answer)", async () => {
    const store = runStore(steady());
    const judge = judgeSpy();

    const refused = completeShardedRun(
      {
        observations: store,
        archive: emptyArchive,
        feedPointers: noFeeds,
        judgeDrift: judge.judgeDrift,
      },
      { catalogue, manifest: MANIFEST, reports: ALL_REPORTS.slice(0, 2), now: NOW },
    );

    await expect(refused).rejects.toThrow(/no report from shard\(s\) 2/);
    expect(judge.inputs).toEqual([]);
    expect(store.marked).toEqual([]);
    expect(store.reads).toEqual([]);
  });

  it("refuses when a hostname has no observation of the run, naming it, rather than judge it absent", async () => {
    const store = runStore(steady().filter((o) => o.hostname !== HOSTS.pinned));
    const judge = judgeSpy();

    const refused = completeShardedRun(
      {
        observations: store,
        archive: emptyArchive,
        feedPointers: noFeeds,
        judgeDrift: judge.judgeDrift,
      },
      { catalogue, manifest: MANIFEST, reports: ALL_REPORTS, now: NOW },
    );

    await expect(refused).rejects.toThrow(new RegExp(`1 hostname\\(s\\): ${HOSTS.pinned}`));
    expect(judge.inputs).toEqual([]);
    expect(store.marked).toEqual([]);
  });

  it("refuses when the catalogue's hostnames changed since the run was planned", async () => {
    const store = runStore(steady());
    const judge = judgeSpy();
    const changed = {
      ...catalogue,
      endpoints: catalogue.endpoints.filter((e) => e.hostname !== HOSTS.rotating),
    };

    const refused = completeShardedRun(
      {
        observations: store,
        archive: emptyArchive,
        feedPointers: noFeeds,
        judgeDrift: judge.judgeDrift,
      },
      { catalogue: changed, manifest: MANIFEST, reports: ALL_REPORTS, now: NOW },
    );

    await expect(refused).rejects.toThrow(/changed during the run/);
    expect(judge.inputs).toEqual([]);
  });
});
