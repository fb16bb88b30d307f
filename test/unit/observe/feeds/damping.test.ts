import { describe, expect, it } from "vitest";
import type { FeedPrefix } from "#shared/domain/feed";
import {
  type DampedChanges,
  dampFeedChanges,
  EMPTY_DAMPING_STATE,
  type FeedDampingState,
  type FeedGrace,
} from "#shared/observe/feeds/damping";
import { diffFeedPrefixes, type PrefixChanges } from "#shared/observe/feeds/diff";
import { type AwsVersion, awsSnapshot } from "#test/helpers/feed-fixtures";

const GRACE: FeedGrace = { runs: 3, hours: 6 };
const HOUR = 3_600_000;
const FLAP = "1.178.86.0/24";
const NO_CHANGE: PrefixChanges = { added: [], removed: [] };

const show = (prefixes: FeedPrefix[]) => prefixes.map((p) => `${p.prefix} ${p.service}`);

/** Replays real versions: each step is a version (or `same` for an unchanged ingest) at a time. */
async function replay(
  steps: { version: AwsVersion | "same"; at: string }[],
  grace: FeedGrace = GRACE,
): Promise<DampedChanges[]> {
  const outcomes: DampedChanges[] = [];
  let state: FeedDampingState = EMPTY_DAMPING_STATE;
  let previous: FeedPrefix[] | null = null;
  for (const step of steps) {
    let changes = NO_CHANGE;
    if (step.version !== "same") {
      const { prefixes } = await awsSnapshot(step.version);
      changes = previous === null ? NO_CHANGE : diffFeedPrefixes(previous, prefixes);
      previous = prefixes;
    }
    const outcome = dampFeedChanges({ state, changes, now: new Date(step.at), grace });
    outcomes.push(outcome);
    state = outcome.state;
  }
  return outcomes;
}

describe("flap damping on the real 1.178.86.0/24 flap", () => {
  it("holds the withdrawal back and cancels it when the prefix is re-published within the grace", async () => {
    // Act: present at 18:57, withdrawn at 21:17, back at 22:37.
    const [, withdrawn, back] = await replay([
      { version: "2026-08-21-18-57-05", at: "2026-08-21T18:57:30Z" },
      { version: "2026-08-21-21-17-05", at: "2026-08-21T21:17:30Z" },
      { version: "2026-08-21-22-37-05", at: "2026-08-21T22:37:30Z" },
    ]);

    // Assess
    expect(show(withdrawn?.added ?? [])).toEqual(["23.254.40.0/23 AMAZON", "23.254.40.0/23 EC2"]);
    expect(withdrawn?.removed).toEqual([]);
    expect(
      withdrawn?.state.pending.map((p) => [p.prefix.prefix, p.prefix.service, p.since, p.runs]),
    ).toEqual([
      [FLAP, "AMAZON", "2026-08-21T21:17:30.000Z", 1],
      [FLAP, "EC2", "2026-08-21T21:17:30.000Z", 1],
    ]);
    expect(back?.added).toEqual([]);
    expect(back?.removed).toEqual([]);
    expect(show(back?.cancelled ?? [])).toEqual([`${FLAP} AMAZON`, `${FLAP} EC2`]);
    expect(back?.state.pending).toEqual([]);
  });

  it("counts the withdrawal once the prefix stayed absent for the runs and the hours", async () => {
    const outcomes = await replay([
      { version: "2026-08-21-18-57-05", at: "2026-08-21T18:57:30Z" },
      { version: "2026-08-21-21-17-05", at: "2026-08-21T21:17:30Z" },
      { version: "same", at: "2026-08-21T22:17:30Z" },
      { version: "same", at: "2026-08-21T23:17:30Z" },
      { version: "same", at: "2026-08-22T03:17:30Z" },
    ]);

    // Third absent run at 23:17 is only 2 h in: still pending. At 03:17 (6 h) it counts.
    expect(outcomes[3]?.removed).toEqual([]);
    expect(outcomes[3]?.state.pending.map((p) => p.runs)).toEqual([3, 3]);
    expect(show(outcomes[4]?.removed ?? [])).toEqual([`${FLAP} AMAZON`, `${FLAP} EC2`]);
    expect(outcomes[4]?.state.pending).toEqual([]);
  });

  it("waits for the runs even when the hours have passed", async () => {
    const outcomes = await replay([
      { version: "2026-08-21-18-57-05", at: "2026-08-21T18:57:30Z" },
      { version: "2026-08-21-21-17-05", at: "2026-08-21T21:17:30Z" },
      { version: "same", at: "2026-08-22T09:17:30Z" },
    ]);

    expect(outcomes[2]?.removed).toEqual([]);
    expect(outcomes[2]?.state.pending.map((p) => p.runs)).toEqual([2, 2]);
  });

  it("counts a removal at once with a grace of one run and zero hours", async () => {
    const [, withdrawn] = await replay(
      [
        { version: "2026-08-21-18-57-05", at: "2026-08-21T18:57:30Z" },
        { version: "2026-08-21-21-17-05", at: "2026-08-21T21:17:30Z" },
      ],
      { runs: 1, hours: 0 },
    );

    expect(show(withdrawn?.removed ?? [])).toEqual([`${FLAP} AMAZON`, `${FLAP} EC2`]);
  });
});

describe("additions", () => {
  it("count at once, including a prefix whose removal was already counted", () => {
    const prefix: FeedPrefix = {
      prefix: "64.23.0.0/18",
      family: 4,
      service: "EC2",
      region: "ca-central-1",
      networkBorderGroup: "ca-central-1",
    };

    const outcome = dampFeedChanges({
      state: EMPTY_DAMPING_STATE,
      changes: { added: [prefix], removed: [] },
      now: new Date("2026-08-21T18:17:30Z"),
      grace: GRACE,
    });

    expect(outcome.added).toEqual([prefix]);
    expect(outcome.cancelled).toEqual([]);
  });

  it("are independent of time: the same ingest later gives the same result", () => {
    const state: FeedDampingState = {
      pending: [
        {
          prefix: {
            prefix: FLAP,
            family: 4,
            service: "EC2",
            region: "ap-southeast-3",
            networkBorderGroup: "ap-southeast-3",
          },
          since: "2026-08-21T21:17:30.000Z",
          runs: 2,
        },
      ],
    };

    const early = dampFeedChanges({
      state,
      changes: NO_CHANGE,
      now: new Date(Date.parse(state.pending[0]?.since ?? "") + 5 * HOUR),
      grace: GRACE,
    });
    const late = dampFeedChanges({
      state,
      changes: NO_CHANGE,
      now: new Date(Date.parse(state.pending[0]?.since ?? "") + 6 * HOUR),
      grace: GRACE,
    });

    expect(early.removed).toEqual([]);
    expect(show(late.removed)).toEqual([`${FLAP} EC2`]);
  });
});
