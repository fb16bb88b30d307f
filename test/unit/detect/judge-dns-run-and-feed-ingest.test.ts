import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import { judgeDnsRun } from "#shared/detect/judge-dns-run";
import type { JudgeDrift } from "#shared/detect/judge-drift";
import {
  feedResultsToJudge,
  feedRunIdFor,
  judgeFeedIngest,
} from "#shared/detect/judge-feed-ingest";
import type { FeedId, FeedIngestResult } from "#shared/domain/feed";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { HostObservation } from "#shared/domain/observation";
import { AFTER_EVERY_RUN, type RunPosition } from "#shared/observe/dns/observation-store";
import { feedChangeId } from "#shared/observe/feeds/changes";
import type { FeedChangeJudgements, FeedPointerStore } from "#shared/observe/feeds/ports";
import {
  AWS_META,
  CLOUDFRONT_META,
  catalogue,
  HOSTS,
  NOW,
  OPTIONS,
  observation,
  prefix,
  RUN_ID,
  updatedFeed,
} from "#test/helpers/verdict-fixtures";

/** The pure verdicts of what `judgeDrift` is given (commit and allowlists are tested elsewhere). */
const judge: JudgeDrift = async (input) => ({
  events: evaluateDrift({ ...input, options: OPTIONS }),
  changeSets: [],
  committed: 0,
  published: 0,
  publishFailures: [],
  allowlistsWritten: [],
});

/** No snapshot stored; the changes marked judged are kept, in order. */
function noFeedSnapshots(): FeedPointerStore &
  FeedChangeJudgements & { judged: [FeedId, string[]][] } {
  const judged: [FeedId, string[]][] = [];
  return {
    judged,
    get: async () => null,
    put: () => Promise.reject(new Error("not written in these tests")),
    markChangesJudged: async (feed, changeIds) => {
      judged.push([feed, [...changeIds]]);
    },
  };
}

/** The runs marked judged, in order. */
function runJudgements() {
  const judged: string[] = [];
  return {
    judged,
    markRunJudged: async (runId: string) => {
      judged.push(runId);
    },
  };
}
const emptyArchive: ObjectArchive = {
  putIfChanged: () => Promise.reject(new Error("not written in these tests")),
  get: async () => null,
  exists: async () => false,
};

/** The store's current states: asked for as the state after every run, nothing else. */
function latestOf(observations: HostObservation[]) {
  return {
    previousObservations: async (hostnames: string[], before: RunPosition) => {
      if (before !== AFTER_EVERY_RUN) throw new Error(`not the current state: ${before.runId}`);
      return new Map(
        observations.filter((o) => hostnames.includes(o.hostname)).map((o) => [o.hostname, o]),
      );
    },
  };
}

const INGEST_NOW = new Date(NOW.getTime() + 20 * 60_000);

describe("judgeFeedIngest: the feed ingest's compare step", () => {
  it("judges a feed change over the state the last DNS run left, without raising that run's verdicts again", async () => {
    // Prepare: the last run saw a new IP for the pinned host (its own ip-added) and the
    // hostname-only name failing for the third time; then CloudFront publishes a new range.
    const lastRun = [
      observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
      observation(HOSTS.hostnameOnly, { outcome: "servfail", consecutiveFailures: 3 }),
    ];
    const results = [
      updatedFeed("cloudfront", {
        added: [prefix("3.172.0.0/18", "CLOUDFRONT_GLOBAL")],
        removed: [],
      }),
    ];
    const runVerdicts = evaluateDrift({
      catalogue,
      observations: lastRun,
      feeds: { results: [], matchers: new Map() },
      now: NOW,
      runId: RUN_ID,
      options: OPTIONS,
    });

    const pointers = noFeedSnapshots();

    // Act
    const recorded = await judgeFeedIngest(
      {
        observations: latestOf(lastRun),
        archive: emptyArchive,
        feedPointers: pointers,
        judgeDrift: judge,
        catalogues: async () => catalogue,
      },
      { catalogueIds: [catalogue.id], results, runId: "feeds-sync-1787347025", now: INGEST_NOW },
    );

    // Assess
    expect(runVerdicts.map((e) => e.type).sort()).toEqual(["ip-added", "resolution-failed"]);
    expect(recorded?.events.map((e) => [e.type, e.subject.key])).toEqual([
      ["resolution-failed", "endpoint:swisssign-mpki-interface/ra.swisssign.net"],
      ["feed-ranges-changed", "feed:cloudfront:product-updates"],
    ]);
    // A standing condition keeps its id whoever judges it: notified once.
    const failed = (events: typeof runVerdicts) =>
      events.find((e) => e.type === "resolution-failed")?.eventId;
    expect(failed(recorded?.events ?? [])).toBe(failed(runVerdicts));
    // Once committed, the change leaves the pointer's unjudged list.
    const diff = results[0]?.diff;
    expect(pointers.judged).toEqual([["cloudfront", [diff && feedChangeId(diff)]]]);
  });

  it("has nothing to judge when no feed changed, was rejected or had a removal come due", async () => {
    // Prepare
    const quiet: FeedIngestResult[] = [
      { feed: "aws-ip-ranges", status: "unchanged", current: AWS_META },
      { feed: "cloudfront", status: "unreachable", reason: "timeout", current: CLOUDFRONT_META },
    ];
    const removalDue: FeedIngestResult = {
      feed: "cloudfront",
      status: "unchanged",
      current: CLOUDFRONT_META,
      diff: {
        feed: "cloudfront",
        from: CLOUDFRONT_META,
        to: CLOUDFRONT_META,
        added: [],
        removed: [prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL")],
      },
    };
    const rejected: FeedIngestResult = {
      feed: "aws-ip-ranges",
      status: "rejected",
      reason: "feed aws-ip-ranges rejected: truncated JSON",
      current: AWS_META,
    };

    // Act
    const recorded = await judgeFeedIngest(
      {
        observations: latestOf([]),
        archive: emptyArchive,
        feedPointers: noFeedSnapshots(),
        judgeDrift: judge,
        catalogues: async () => catalogue,
      },
      { catalogueIds: [catalogue.id], results: quiet, runId: "feeds-2026-08-21T22:00Z", now: NOW },
    );

    // Assess
    expect(recorded).toBeNull();
    expect(feedResultsToJudge(quiet)).toBe(false);
    expect(feedResultsToJudge([...quiet, removalDue])).toBe(true);
    expect(feedResultsToJudge([rejected])).toBe(true);
    expect(feedResultsToJudge([updatedFeed("cloudfront", { added: [], removed: [] })])).toBe(true);
  });
});

describe("judgeDnsRun: the resolve function's compare step", () => {
  it("dates the verdicts at the run's observation time, so a later redelivery judges the same", async () => {
    // Prepare
    const observedAt = "2026-08-21T12:00:04.000Z";
    const run = [
      observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"], observedAt }),
    ];

    const runs = runJudgements();
    const deps = {
      archive: emptyArchive,
      feedPointers: noFeedSnapshots(),
      judgeDrift: judge,
      runs,
    };

    // Act
    const first = await judgeDnsRun(deps, {
      catalogue,
      observations: run,
      runId: RUN_ID,
      now: new Date(observedAt),
    });
    const redelivered = await judgeDnsRun(deps, {
      catalogue,
      observations: run,
      runId: RUN_ID,
      now: new Date("2026-08-29T00:00:00Z"),
    });

    // Assess
    expect(first.events.map((e) => e.type)).toEqual(["ip-added"]);
    expect(redelivered.events).toEqual(first.events);
    expect(first.events[0]?.detectedAt).toBe(observedAt);
    expect(runs.judged).toEqual([RUN_ID, RUN_ID]);
  });

  it("leaves the run unjudged when committing its drift fails", async () => {
    // Prepare
    const runs = runJudgements();
    const failing: JudgeDrift = () => Promise.reject(new Error("DynamoDB unavailable"));

    // Act
    const attempt = judgeDnsRun(
      { archive: emptyArchive, feedPointers: noFeedSnapshots(), judgeDrift: failing, runs },
      { catalogue, observations: [observation(HOSTS.pinned)], runId: RUN_ID, now: NOW },
    );

    // Assess
    await expect(attempt).rejects.toThrow("DynamoDB unavailable");
    expect(runs.judged).toEqual([]);
  });
});

describe("feedRunIdFor", () => {
  it("names an ingest by its trigger, the same for every delivery of it", () => {
    expect(feedRunIdFor({ syncToken: "1787347025" })).toBe("feeds-sync-1787347025");
    expect(feedRunIdFor({ scheduledTime: new Date("2026-08-21T22:00:00Z") })).toBe(
      "feeds-2026-08-21T22:00Z",
    );
    expect(feedRunIdFor({ scheduledTime: new Date("2026-08-21T22:00:59.999Z") })).toBe(
      "feeds-2026-08-21T22:00Z",
    );
    expect(() => feedRunIdFor({ scheduledTime: new Date("yesterday") })).toThrow(RangeError);
  });
});
