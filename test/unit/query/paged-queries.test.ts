import { describe, expect, it } from "vitest";
import type { ChangeSetRecord, EventQueries } from "#shared/notify/ports";
import {
  queryCommittedEventsPage,
  queryNewestCommittedEvents,
} from "#shared/query/committed-events";
import {
  notificationMessages,
  notificationPages,
  publishedNotification,
} from "#shared/query/notifications";
import { changeEvent, committedChangeSet, fakeChangeSets } from "#test/helpers/query-fakes";

const at = (hour: number) => `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;

const changeSets = [
  committedChangeSet("cs-2", at(2), [changeEvent("e3", "ip-added")]),
  committedChangeSet("cs-1", at(1), [
    changeEvent("e1", "ip-added"),
    changeEvent("e2", "ip-removed"),
  ]),
  committedChangeSet("cs-3", at(3), [changeEvent("e4", "resolution-failed")]),
];

describe("queryNewestCommittedEvents", () => {
  it("answers the newest events of the asked types over every page, and how many matched", async () => {
    // Prepare
    const store = fakeChangeSets(changeSets);

    // Act
    const answer = await queryNewestCommittedEvents(
      { events: store.pages },
      { types: ["ip-added", "ip-removed"], limit: 2, pageSize: 1 },
    );

    // Assess
    expect(answer.total).toBe(3);
    expect(answer.events.map((e) => [e.eventId, e.changeSet.changeSetId])).toEqual([
      ["e3", "cs-2"],
      ["e2", "cs-1"],
    ]);
    expect(store.asked.map((page) => page.cursor)).toEqual([undefined, "1", "2"]);
  });

  it("keeps a change set's events reversed with the rest, as queryCommittedEvents does", async () => {
    const answer = await queryNewestCommittedEvents(
      { events: fakeChangeSets(changeSets).pages },
      { types: [], limit: 10 },
    );

    expect(answer.events.map((e) => e.eventId)).toEqual(["e4", "e3", "e2", "e1"]);
  });

  it("asks the store for the change sets in the range only", async () => {
    const store = fakeChangeSets(changeSets);

    const answer = await queryNewestCommittedEvents(
      { events: store.pages },
      { since: at(2), until: at(2), types: [], limit: 10 },
    );

    expect(answer.events.map((e) => e.eventId)).toEqual(["e3"]);
    expect(store.asked[0]).toMatchObject({ since: at(2), until: at(2) });
  });
});

describe("queryCommittedEventsPage", () => {
  it("answers one page of the scan, newest first, and the cursor of the next", async () => {
    const store = fakeChangeSets(changeSets);

    const first = await queryCommittedEventsPage({ events: store.pages }, { types: [], limit: 2 });
    const second = await queryCommittedEventsPage(
      { events: store.pages },
      { types: [], limit: 2, ...(first.cursor !== null ? { cursor: first.cursor } : {}) },
    );

    expect(first.events.map((e) => e.eventId)).toEqual(["e3", "e2", "e1"]);
    expect(first.cursor).toBe("2");
    expect(second).toMatchObject({ events: [{ eventId: "e4" }], cursor: null });
  });
});

describe("notificationPages and notificationMessages", () => {
  const delivered = committedChangeSet("cs-1", at(1), [changeEvent("e1", "ip-added")], {
    publishedAt: "2026-08-21T01:00:05.000Z",
    deliveries: [
      {
        part: 2,
        topicArn: "arn:aws:sns:eu-west-1:123456789012:drift",
        messageId: "m-2",
        subject: "[driftwatch] high: part 2",
        severity: "medium",
        sentAt: "2026-08-21T01:00:05.000Z",
        eventIds: ["e1"],
      },
      {
        part: 1,
        topicArn: "",
        messageId: "m-1",
        subject: "[driftwatch] high: part 1",
        severity: "high",
        sentAt: "2026-08-21T01:00:04.000Z",
        eventIds: ["e1"],
      },
    ],
  });

  it("answers one row per SNS message, by part, an unknown topic as null", () => {
    const rows = notificationMessages(publishedNotification(delivered));

    expect(rows).toEqual([
      expect.objectContaining({ part: 1, messageId: "m-1", topicArn: null, severity: "high" }),
      expect.objectContaining({
        part: 2,
        messageId: "m-2",
        topicArn: "arn:aws:sns:eu-west-1:123456789012:drift",
        subject: "[driftwatch] high: part 2",
        sentAt: "2026-08-21T01:00:05.000Z",
        eventIds: ["e1"],
      }),
    ]);
  });

  it("answers a change set published before messages were recorded as one row without them", () => {
    const old = committedChangeSet("cs-old", at(1), [changeEvent("e1", "ip-added")]);

    expect(notificationMessages(publishedNotification(old))).toEqual([
      expect.objectContaining({
        changeSetId: "cs-old",
        part: null,
        messageId: null,
        sentAt: at(1),
      }),
    ]);
  });

  it("reads the published change sets page by page until the last", async () => {
    const asked: (string | undefined)[] = [];
    const records: ChangeSetRecord[] = [delivered, committedChangeSet("cs-2", at(2), [])];
    const events: Pick<EventQueries, "publishedChangeSets"> = {
      async publishedChangeSets(page) {
        asked.push(page.cursor);
        const start = Number(page.cursor ?? 0);
        const end = start + page.limit;
        return {
          changeSets: records.slice(start, end),
          cursor: end < records.length ? String(end) : null,
        };
      },
    };

    const pages: string[][] = [];
    for await (const page of notificationPages({ events }, { since: at(0), pageSize: 1 })) {
      pages.push(page.map((n) => n.changeSetId));
    }

    expect(pages).toEqual([["cs-1"], ["cs-2"]]);
    expect(asked).toEqual([undefined, "1"]);
  });
});
