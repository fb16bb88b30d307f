import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { DriftEvent } from "#shared/compare/drift-event";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { EventStore } from "#shared/notify/ports";
import { publishPendingEvents } from "#shared/notify/publish-pending";
import { type CommitInput, commitDriftEvents } from "#shared/record/commit-drift-events";
import { type Delivered, drainQueue, notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { driftInput, HOSTS, NOW, observation, steadyState } from "#test/helpers/verdict-fixtures";

/**
 * Two committers for the same subject at once (the resolve and the ingest Lambda judging a
 * standing condition, a CLI `detect` and a Lambda on one table), and a publisher running while a
 * commit is half-way: every event must reach a subscriber once, whichever change set owns it.
 */

const CLOUDFRONT = "endpoint:product-and-os-updates/products.clearswift.net";

/** The two events (ip-added, ip-outside-published-ranges) of the CloudFront host in run `runId`. */
function cloudfrontEvents(runId: string, entered: string): [DriftEvent, DriftEvent] {
  const events = evaluateDrift(
    driftInput(
      steadyState(observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: [entered] })),
      { runId },
    ),
  ).filter((e) => e.subject.key === CLOUDFRONT);
  const [first, second] = events;
  if (events.length !== 2 || first === undefined || second === undefined) {
    throw new Error("fixture changed: expected two events for the CloudFront host");
  }
  return [first, second];
}

function commitInput(events: DriftEvent[], runId: string): CommitInput {
  return { events, runId, catalogueId: "clearswift-seg-5.3", now: NOW };
}

/** The event ids a subscriber received, one entry per delivery. */
function deliveredEventIds(delivered: Delivered[]): string[] {
  return delivered.flatMap((d) => d.notification.events.map((e) => e.eventId)).sort();
}

/**
 * Two views of one store for two concurrent committers: both read the existing records before
 * either writes one, and the committer named `recordsFirst` writes its event records before the
 * other writes any.
 */
function racingCommitters(store: EventStore, recordsFirst: "single" | "pair") {
  let reads = 0;
  let releaseReads = () => {};
  const bothRead = new Promise<void>((resolve) => {
    releaseReads = resolve;
  });
  let releaseWriter = () => {};
  const firstCommitted = new Promise<void>((resolve) => {
    releaseWriter = resolve;
  });
  const view = (role: "single" | "pair"): EventStore => ({
    ...store,
    async getEventRecords(eventIds) {
      const found = await store.getEventRecords(eventIds);
      if (++reads === 2) releaseReads();
      await bothRead;
      return found;
    },
    async putEventRecord(record) {
      if (role !== recordsFirst) await firstCommitted;
      return store.putEventRecord(record);
    },
  });
  const commit = (role: "single" | "pair", input: CommitInput) =>
    commitDriftEvents({ events: view(role) }, input).finally(() => {
      if (role === recordsFirst) releaseWriter();
    });
  return { commit };
}

describe("fault: concurrent commits of one subject", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it.each([
    ["the single-event committer", "single"],
    ["the two-event committer", "pair"],
  ] as const)(
    "delivers each event once when two committers race for one subject and %s records it first",
    async (_, recordsFirst) => {
      // Prepare: committer A commits {e1}, committer B {e1, e2}; both see no record of e1
      const deps = notifyDeps(stack);
      const [e1, e2] = cloudfrontEvents("run-1", "203.0.113.9");
      const race = racingCommitters(deps.events, recordsFirst);
      await Promise.all([
        race.commit("single", commitInput([e1], "run-a")),
        race.commit("pair", commitInput([e1, e2], "run-b")),
      ]);

      // Act
      const result = await publishPendingEvents(deps, { now: NOW });
      const again = await publishPendingEvents(deps, { now: NOW });
      const delivered = await drainQueue(stack, stack.inboxQueueUrl);

      // Assess
      expect(result.failed).toEqual([]);
      expect(deliveredEventIds(delivered)).toEqual([e1.eventId, e2.eventId].sort());
      expect(again).toMatchObject({ published: 0, changeSets: 0, failed: [] });
      expect(again.oldestPendingAgeSeconds).toBe(0);
    },
  );

  it("publishes a change set only once all its event records are written, and then once", async () => {
    // Prepare: run 1's commit of {e1, e2} dies after the first event record; run 2 then commits
    // a later change set of the same subject in full
    const deps = notifyDeps(stack);
    let recordsLeft = 1;
    const crashing: EventStore = {
      ...deps.events,
      async putEventRecord(record) {
        if (recordsLeft-- === 0) throw new Error("process killed mid-commit");
        return deps.events.putEventRecord(record);
      },
    };
    const run1 = commitInput(cloudfrontEvents("run-1", "203.0.113.9"), "run-1");
    const crashed = await commitDriftEvents({ events: crashing }, run1).catch((e: Error) => e);
    await commitDriftEvents(deps, commitInput(cloudfrontEvents("run-2", "203.0.113.10"), "run-2"));

    // Act
    const early = await publishPendingEvents(deps, { now: NOW });
    const beforeRetry = await drainQueue(stack, stack.inboxQueueUrl);
    await commitDriftEvents(deps, run1);
    const afterRetry = await publishPendingEvents(deps, { now: NOW });
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);
    const again = await publishPendingEvents(deps, { now: NOW });

    // Assess
    expect(crashed).toBeInstanceOf(Error);
    expect(early).toMatchObject({ published: 0, changeSets: 0, failed: [] });
    expect(early.waiting).toHaveLength(1);
    expect(beforeRetry).toEqual([]);
    expect(afterRetry).toMatchObject({ published: 2, changeSets: 2, failed: [], waiting: [] });
    expect(delivered.map((d) => [d.notification.sequence, d.notification.events.length])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(again).toMatchObject({ published: 0, changeSets: 0 });
  });
});
