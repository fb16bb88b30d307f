import { describe, expect, it } from "vitest";
import { changesBetween, queryChanges } from "#shared/query/changes-between";
import {
  changeEvent,
  committedChangeSet,
  fakeChangeSets,
  fakeObservations,
} from "#test/helpers/query-fakes";
import { catalogue, HOSTS, observation, prefix } from "#test/helpers/verdict-fixtures";

const at = (hour: number) => `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;

const pinnedRuns = [
  observation(HOSTS.pinned, { observedAt: at(1), runId: "run-1", entered: ["3.10.94.193"] }),
  observation(HOSTS.pinned, { observedAt: at(2), runId: "run-2", active: ["3.10.94.193"] }),
  observation(HOSTS.pinned, {
    observedAt: at(3),
    runId: "run-3",
    active: ["3.10.94.193"],
    entered: ["3.10.94.200"],
  }),
  observation(HOSTS.pinned, {
    observedAt: at(5),
    runId: "run-5",
    active: ["3.10.94.200"],
    left: ["3.10.94.193"],
  }),
];

const feedEvent = changeEvent("e-feed", "feed-ranges-changed", {
  group: "product-updates",
  subject: {
    kind: "feed",
    key: "feed:cloudfront:product-updates",
    feed: "cloudfront",
    group: "product-updates",
  },
  runId: "run-3",
  evidence: {
    feed: {
      feed: "cloudfront",
      status: "updated",
      sha256: "b".repeat(64),
      previousSha256: "a".repeat(64),
    },
    prefixes: [
      { ...prefix("13.32.0.0/15", "CLOUDFRONT"), change: "added" },
      { ...prefix("54.182.0.0/16", "CLOUDFRONT"), change: "removed" },
    ],
  },
});

function stores() {
  return {
    observations: fakeObservations({ [HOSTS.pinned]: pinnedRuns }),
    events: fakeChangeSets([
      committedChangeSet("cs-feed", "2026-08-21T03:00:02.000Z", [feedEvent]),
      // The same event in a second change set (two concurrent commits): answered once.
      committedChangeSet("cs-feed-again", "2026-08-21T03:00:03.000Z", [feedEvent]),
      committedChangeSet("cs-late", at(9), [{ ...feedEvent, eventId: "e-late" }]),
    ]),
  };
}

describe("changesBetween", () => {
  it("answers each IP that entered or left a hostname's observed set, with the sets around its run", async () => {
    // Prepare
    const { observations, events } = stores();

    // Act
    const changes = await queryChanges(
      { observations: observations.queries, events: events.pages },
      { catalogue, from: at(2), to: at(6) },
    );

    // Assess
    const hostChanges = changes.filter((c) => c.kind === "hostname");
    expect(hostChanges).toEqual([
      {
        kind: "hostname",
        hostname: HOSTS.pinned,
        endpointIds: ["appliance-online-help/clearswifhelp.clearswift.com"],
        groups: ["online-help"],
        change: "entered",
        ip: "3.10.94.200",
        runId: "run-3",
        observedAt: at(3),
        previous: ["3.10.94.193"],
        current: ["3.10.94.193", "3.10.94.200"],
      },
      {
        kind: "hostname",
        hostname: HOSTS.pinned,
        endpointIds: ["appliance-online-help/clearswifhelp.clearswift.com"],
        groups: ["online-help"],
        change: "left",
        ip: "3.10.94.193",
        runId: "run-5",
        observedAt: at(5),
        previous: ["3.10.94.193", "3.10.94.200"],
        current: ["3.10.94.200"],
      },
    ]);
  });

  it("answers each prefix of a feed group that entered or left, with the feed's versions, once", async () => {
    const { observations, events } = stores();

    const changes = await queryChanges(
      { observations: observations.queries, events: events.pages },
      { catalogue, from: at(2), to: at(6) },
    );

    expect(changes.filter((c) => c.kind === "feed")).toEqual([
      expect.objectContaining({
        feed: "cloudfront",
        group: "product-updates",
        change: "entered",
        prefix: "13.32.0.0/15",
        runId: "run-3",
        observedAt: "2026-08-21T03:00:02.000Z",
        previous: "a".repeat(64),
        current: "b".repeat(64),
      }),
      expect.objectContaining({ change: "left", prefix: "54.182.0.0/16" }),
    ]);
    expect(events.asked[0]).toMatchObject({ since: at(2), until: at(6) });
  });

  it("reads one page at a time and yields it before reading the next", async () => {
    const { observations, events } = stores();
    const onlyPinned = {
      ...catalogue,
      endpoints: catalogue.endpoints.filter((e) => e.hostname === HOSTS.pinned),
    };
    const pages = changesBetween(
      { observations: observations.queries, events: events.pages },
      { catalogue: onlyPinned, from: at(1), to: at(6), pageSize: 2 },
    );

    const first = await pages.next();

    expect(first.done).toBe(false);
    expect(observations.asked).toEqual([`historyPage ${HOSTS.pinned} -`]);
    const rest: unknown[] = [];
    for await (const page of pages) rest.push(...page);
    expect(observations.asked).toContain(`historyPage ${HOSTS.pinned} 2`);
    expect(first.value).toEqual([
      expect.objectContaining({ change: "entered", ip: "3.10.94.193", previous: [] }),
    ]);
  });

  it("answers nothing for a range without runs or change sets", async () => {
    const { observations, events } = stores();

    const changes = await queryChanges(
      { observations: observations.queries, events: events.pages },
      { catalogue, from: at(10), to: at(11) },
    );

    expect(changes).toEqual([]);
  });
});
