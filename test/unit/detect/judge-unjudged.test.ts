import { describe, expect, it } from "vitest";
import type { Catalogue } from "#shared/catalogue/schema";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import { catalogueList, unionHostnames } from "#shared/detect/catalogues";
import type { JudgeDrift } from "#shared/detect/judge-drift";
import { type JudgeUnjudgedDeps, judgeUnjudged } from "#shared/detect/judge-unjudged";
import type { FeedId, FeedSnapshotMeta } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import { AFTER_EVERY_RUN, type DnsRun } from "#shared/observe/dns/observation-store";
import { feedChangeId } from "#shared/observe/feeds/changes";
import type { FeedPointer, UnjudgedFeedChange } from "#shared/observe/feeds/ports";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";
import { catalogue, HOSTS, OPTIONS, observation, prefix } from "#test/helpers/verdict-fixtures";

/**
 * The backlog judge with in-memory stores: what it reads, in which order it judges, under which
 * run id and time, and what it marks.
 */

const LIST = new TextEncoder().encode(
  JSON.stringify({
    CLOUDFRONT_GLOBAL_IP_LIST: ["13.32.0.0/15", "52.84.0.0/15", "3.172.0.0/18"],
    CLOUDFRONT_REGIONAL_EDGE_IP_LIST: ["13.113.196.64/26"],
  }),
);
const SNAPSHOT = parseFeedSnapshot("cloudfront", LIST);
const meta = (sha256: string): FeedSnapshotMeta => ({
  feed: "cloudfront",
  sha256,
  fetchedAt: "2026-08-22T10:15:00.000Z",
  source: "file:///list-cloudfront-ips.json",
  archiveKey: `feeds/cloudfront/${sha256}.json`,
  prefixCount: SNAPSHOT.prefixCount,
});
const CURRENT = meta(SNAPSHOT.sha256);

function cloudfrontChange(runId: string, acceptedAt: string): UnjudgedFeedChange {
  const diff = {
    feed: "cloudfront" as const,
    from: meta("f".repeat(64)),
    to: CURRENT,
    added: [prefix("3.172.0.0/18", "CLOUDFRONT_GLOBAL")],
    removed: [],
  };
  return { changeId: feedChangeId(diff), runId, acceptedAt, diff };
}

interface Stores {
  runs: DnsRun[];
  saved: HostObservation[];
  latest: HostObservation[];
  changes: UnjudgedFeedChange[];
  /** Runs an invocation still holds a live lease on, with its end (epoch ms). */
  leased?: Map<string, number>;
}

/**
 * In-memory stores; `marked` lists what was marked judged, in order, and `reads` the standing
 * states asked for.
 */
function memoryDeps(stores: Stores, judgeDrift: JudgeDrift) {
  const marked: string[] = [];
  const reads: string[] = [];
  const archived: string[] = [];
  const pointer: FeedPointer = {
    feed: "cloudfront",
    version: 3,
    meta: CURRENT,
    url: "file:///list-cloudfront-ips.json",
    damping: { pending: [] },
    confirmedAt: CURRENT.fetchedAt,
    updatedAt: CURRENT.fetchedAt,
    unjudged: stores.changes,
  };
  const archive: ObjectArchive = {
    // Only a judged run's history archive is written here.
    putIfChanged: async (key) => {
      if (!key.startsWith("history/")) throw new Error(`not written in these tests: ${key}`);
      archived.push(key);
      return true;
    },
    get: async (key) =>
      key === CURRENT.archiveKey
        ? { bytes: LIST, contentType: "application/json", metadata: {} }
        : null,
    exists: async (key) => key === CURRENT.archiveKey,
  };
  const deps: JudgeUnjudgedDeps = {
    observations: {
      unjudgedRuns: async () => stores.runs,
      liveRunLease: async (runId) => stores.leased?.get(runId) ?? null,
      markRunJudged: async (runId) => {
        marked.push(`run ${runId}`);
      },
      savedObservations: async (run, hostnames) =>
        new Map(
          stores.saved
            .filter((o) => o.runId === run.runId && hostnames.includes(o.hostname))
            .map((o) => [o.hostname, o]),
        ),
      // `latest` stands for the states read here: the current ones, and before a run, those
      // observed before it.
      previousObservations: async (hostnames, before) => {
        const asked = before === AFTER_EVERY_RUN ? "current" : `previous ${before.runId}`;
        reads.push(`${asked}: ${hostnames.join(",")}`);
        return new Map(
          stores.latest
            .filter((o) => hostnames.includes(o.hostname) && o.observedAt < before.observedAt)
            .map((o) => [o.hostname, o]),
        );
      },
    },
    feedPointers: {
      get: async (feed: FeedId) => (feed === "cloudfront" ? pointer : null),
      put: () => Promise.reject(new Error("not written in these tests")),
      markChangesJudged: async (feed, changeIds) => {
        marked.push(`${feed} ${changeIds.join(",")}`);
      },
    },
    archive,
    judgeDrift,
  };
  return { deps, marked, archived, reads };
}

/** Records what each judge was given and returns the pure verdicts. */
function recordingJudge() {
  const calls: Parameters<JudgeDrift>[0][] = [];
  const judgeDrift: JudgeDrift = async (input) => {
    calls.push(input);
    return {
      events: evaluateDrift({ ...input, options: OPTIONS }),
      changeSets: [],
      committed: 0,
      published: 0,
      publishFailures: [],
      allowlistsWritten: [],
    };
  };
  return { calls, judgeDrift };
}

const NO_CATALOGUE = (): Promise<Catalogue> =>
  Promise.reject(new Error("the catalogue is not read when nothing is left to judge"));

describe("judgeUnjudged", () => {
  it("leaves a run whose lease is still live to the invocation writing it", async () => {
    // Prepare: run A died (unjudged, no lease); run B is being written by another invocation
    const runA: DnsRun = {
      runId: "cli-A",
      observedAt: "2026-08-22T10:15:00.000Z",
      hostnames: [HOSTS.pinned],
    };
    const runB: DnsRun = { ...runA, runId: "cli-B", observedAt: "2026-08-22T10:30:00.000Z" };
    const judge = recordingJudge();
    const { deps, marked } = memoryDeps(
      {
        runs: [runA, runB],
        saved: [observation(HOSTS.pinned, { runId: "cli-A", observedAt: runA.observedAt })],
        latest: [],
        changes: [],
        leased: new Map([["cli-B", Date.now() + 60_000]]),
      },
      judge.judgeDrift,
    );

    // Act
    const judged = await judgeUnjudged(deps, {
      catalogue: async () => catalogue,
      dnsRuns: true,
      feeds: [],
    });

    // Assess: A is judged and marked; B is neither
    expect(judged.map((run) => run.runId)).toEqual(["cli-A"]);
    expect(judge.calls.map((call) => call.runId)).toEqual(["cli-A"]);
    expect(marked).toEqual(["run cli-A"]);
  });

  it("reads nothing more and judges nothing when every run and change was judged", async () => {
    // Prepare
    const judge = recordingJudge();
    const { deps, marked } = memoryDeps(
      { runs: [], saved: [], latest: [], changes: [] },
      judge.judgeDrift,
    );

    // Act
    const judged = await judgeUnjudged(deps, {
      catalogue: NO_CATALOGUE,
      dnsRuns: true,
      feeds: ["aws-ip-ranges", "cloudfront"],
    });

    // Assess
    expect(judged).toEqual([]);
    expect(judge.calls).toEqual([]);
    expect(marked).toEqual([]);
  });

  it("judges earlier runs oldest first, each under its own id and time, a run's feed changes with it", async () => {
    // Prepare: run A saved the pinned host only (it died mid-save) and accepted a CloudFront
    // change; run B completed; run C is the one about to start (a redelivery).
    const runA: DnsRun = {
      runId: "cli-A",
      observedAt: "2026-08-22T10:15:00.000Z",
      hostnames: [HOSTS.pinned, HOSTS.hostnameOnly],
    };
    const runB: DnsRun = { ...runA, runId: "cli-B", observedAt: "2026-08-22T10:30:00.000Z" };
    const runC: DnsRun = { ...runA, runId: "cli-C", observedAt: "2026-08-22T10:45:00.000Z" };
    const judge = recordingJudge();
    const { deps, marked, archived, reads } = memoryDeps(
      {
        runs: [runA, runB, runC],
        saved: [
          observation(HOSTS.pinned, {
            runId: "cli-A",
            observedAt: runA.observedAt,
            active: ["3.10.94.193"],
            entered: ["3.10.94.200"],
          }),
          observation(HOSTS.pinned, { runId: "cli-B", observedAt: runB.observedAt }),
          observation(HOSTS.hostnameOnly, { runId: "cli-B", observedAt: runB.observedAt }),
        ],
        latest: [
          observation(HOSTS.hostnameOnly, {
            runId: "cli-0",
            active: ["41.92.10.20"],
            entered: ["41.92.10.21"],
          }),
        ],
        changes: [cloudfrontChange("cli-A", runA.observedAt)],
      },
      judge.judgeDrift,
    );

    // Act
    const judged = await judgeUnjudged(deps, {
      catalogue: async () => catalogue,
      dnsRuns: true,
      feeds: ["aws-ip-ranges", "cloudfront"],
      exceptRunId: "cli-C",
    });

    // Assess: A, then B; C is left to its own invocation.
    expect(judge.calls.map((call) => [call.runId, call.now.toISOString()])).toEqual([
      ["cli-A", runA.observedAt],
      ["cli-B", runB.observedAt],
    ]);
    const [first] = judge.calls;
    const seen = new Map(first?.observations.map((o) => [o.hostname, o]));
    expect(seen.get(HOSTS.pinned)?.entered).toEqual(["3.10.94.200"]);
    // Not saved by A: its state before A (read in batches through the runs before it, not one
    // query per hostname), without the transitions an earlier run already judged.
    expect(seen.get(HOSTS.hostnameOnly)?.runId).toBe("cli-0");
    expect(seen.get(HOSTS.hostnameOnly)?.entered).toEqual([]);
    const others = (...saved: string[]) =>
      unionHostnames(catalogueList(catalogue)).filter((hostname) => !saved.includes(hostname));
    expect(reads).toEqual([
      `previous cli-A: ${others(HOSTS.pinned).join(",")}`,
      `previous cli-B: ${others(HOSTS.pinned, HOSTS.hostnameOnly).join(",")}`,
    ]);
    expect(first?.feeds.results.map((r) => [r.feed, r.status, r.diff?.added.length])).toEqual([
      ["cloudfront", "updated", 1],
    ]);
    expect(judged.map((j) => [j.runId, j.savedHostnames, j.feedChanges.length])).toEqual([
      ["cli-A", 1, 1],
      ["cli-B", 2, 0],
    ]);
    expect(judged[0]?.drift.events.map((e) => `${e.type} ${e.subject.key}`)).toEqual([
      "ip-added endpoint:appliance-online-help/clearswifhelp.clearswift.com",
      "feed-ranges-changed feed:cloudfront:product-updates",
    ]);
    expect(marked).toEqual([
      "run cli-A",
      `cloudfront ${cloudfrontChange("cli-A", runA.observedAt).changeId}`,
      "run cli-B",
    ]);
    // Each run's own observations are archived as its first invocation would have.
    expect(archived).toEqual([
      "history/dt=2026-08-22/cli-A.jsonl.gz",
      "history/dt=2026-08-22/cli-B.jsonl.gz",
    ]);
  });

  it("marks nothing when judging fails, so the next cycle judges it again", async () => {
    // Prepare
    const run: DnsRun = {
      runId: "cli-A",
      observedAt: "2026-08-22T10:15:00.000Z",
      hostnames: [HOSTS.pinned],
    };
    const failing: JudgeDrift = () => Promise.reject(new Error("DynamoDB unavailable"));
    const { deps, marked } = memoryDeps(
      { runs: [run], saved: [], latest: [], changes: [cloudfrontChange("cli-A", run.observedAt)] },
      failing,
    );

    // Act
    const attempt = judgeUnjudged(deps, {
      catalogue: async () => catalogue,
      dnsRuns: true,
      feeds: ["cloudfront"],
    });

    // Assess
    await expect(attempt).rejects.toThrow("DynamoDB unavailable");
    expect(marked).toEqual([]);
  });

  it("judges only the feed changes where the DNS runs are another function's", async () => {
    // Prepare
    const run: DnsRun = {
      runId: "2026-08-22T10:15Z",
      observedAt: "2026-08-22T10:15:00.000Z",
      hostnames: [HOSTS.pinned],
    };
    const judge = recordingJudge();
    const { deps, marked, reads } = memoryDeps(
      {
        runs: [run],
        saved: [],
        latest: [],
        changes: [cloudfrontChange("feeds-2026-08-22T10:00Z", "2026-08-22T10:00:00.000Z")],
      },
      judge.judgeDrift,
    );

    // Act
    await judgeUnjudged(deps, {
      catalogue: async () => catalogue,
      dnsRuns: false,
      feeds: ["aws-ip-ranges", "cloudfront"],
    });

    // Assess
    expect(judge.calls.map((call) => call.runId)).toEqual(["feeds-2026-08-22T10:00Z"]);
    expect(marked).toEqual([
      `cloudfront ${cloudfrontChange("feeds-2026-08-22T10:00Z", "").changeId}`,
    ]);
    // Feed changes alone are judged against every hostname's current state.
    expect(reads).toEqual([`current: ${unionHostnames(catalogueList(catalogue)).join(",")}`]);
  });
});
