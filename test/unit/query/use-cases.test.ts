import { describe, expect, it } from "vitest";
import type { DriftEvent, DriftEventType } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord, EventQueries } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import { queryCommittedEvents } from "#shared/query/committed-events";
import { queryHostnameAt } from "#shared/query/hostname-at";
import { queryHostnameHistory } from "#shared/query/hostname-history";
import { observation } from "#test/helpers/verdict-fixtures";

const HOST = "aav-update-1.clearswift.net";

/** The read side of the observation store over a hostname's runs (oldest first), in memory. */
function observationsOf(runs: HostObservation[]) {
  const asked: { hostname: string; range?: { from?: string; to?: string; limit?: number } }[] = [];
  const queries: Pick<ObservationQueries, "latestObservations" | "history" | "observationAt"> = {
    async latestObservations(hostnames) {
      const latest = runs.at(-1);
      return new Map(
        latest !== undefined && hostnames.includes(latest.hostname)
          ? [[latest.hostname, latest]]
          : [],
      );
    },
    async history(hostname, range = {}) {
      asked.push({ hostname, range });
      const inRange = runs.filter(
        (run) =>
          (range.from === undefined || run.observedAt >= range.from) &&
          (range.to === undefined || run.observedAt <= range.to),
      );
      return range.limit === undefined ? inRange : inRange.slice(-range.limit);
    },
    async observationAt(_hostname, at) {
      return runs.filter((run) => run.observedAt <= at).at(-1) ?? null;
    },
  };
  return { queries, asked };
}

function runAt(hour: number): HostObservation {
  const observedAt = `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;
  return observation(HOST, {
    observedAt,
    runId: `run-${hour}`,
    trackedSince: "2026-08-21T01:00:00.000Z",
  });
}

describe("queryHostnameHistory", () => {
  it("answers the newest runs first, and no total when older runs exist", async () => {
    // Prepare
    const store = observationsOf([runAt(1), runAt(2), runAt(3), runAt(4)]);

    // Act
    const answer = await queryHostnameHistory(
      { observations: store.queries },
      { hostname: HOST, from: "2026-08-21T02:00:00.000Z", limit: 1 },
    );

    // Assess
    expect(answer).toEqual({ status: "observed", hostname: HOST, runs: [runAt(4)], total: null });
    expect(store.asked).toEqual([
      { hostname: HOST, range: { from: "2026-08-21T02:00:00.000Z", limit: 2 } },
    ]);
  });

  it("counts the runs when the range holds no more than the limit", async () => {
    const store = observationsOf([runAt(1), runAt(2)]);

    const answer = await queryHostnameHistory(
      { observations: store.queries },
      { hostname: HOST, limit: 5 },
    );

    expect(answer).toEqual({
      status: "observed",
      hostname: HOST,
      runs: [runAt(2), runAt(1)],
      total: 2,
    });
  });

  it("says a hostname was never observed, without reading its history", async () => {
    const store = observationsOf([]);

    const answer = await queryHostnameHistory(
      { observations: store.queries },
      { hostname: HOST, limit: 5 },
    );

    expect(answer).toEqual({ status: "never-observed", hostname: HOST });
    expect(store.asked).toEqual([]);
  });
});

describe("queryHostnameAt", () => {
  it("answers the observation in effect at the time", async () => {
    const store = observationsOf([runAt(1), runAt(3)]);

    const answer = await queryHostnameAt(
      { observations: store.queries },
      { hostname: HOST, at: "2026-08-21T02:30:00.000Z" },
    );

    expect(answer).toEqual({ status: "observed", hostname: HOST, observation: runAt(1) });
  });

  it("tells a time before the first observation from a hostname never observed", async () => {
    const before = await queryHostnameAt(
      { observations: observationsOf([runAt(1)]).queries },
      { hostname: HOST, at: "2026-08-21T00:30:00.000Z" },
    );
    const never = await queryHostnameAt(
      { observations: observationsOf([]).queries },
      { hostname: HOST, at: "2026-08-21T00:30:00.000Z" },
    );

    expect(before).toEqual({
      status: "not-yet-observed",
      hostname: HOST,
      trackedSince: "2026-08-21T01:00:00.000Z",
    });
    expect(never).toEqual({ status: "never-observed", hostname: HOST });
  });
});

function driftEvent(eventId: string, type: DriftEventType): DriftEvent {
  return {
    eventId,
    type,
    severity: "high",
    runId: "run-1",
    detectedAt: "2026-08-21T01:00:00.000Z",
    subject: { kind: "endpoint", key: `endpoint#${eventId}`, endpointId: eventId },
    group: "product-updates",
    endpoint: null,
    endpoints: [],
    added: [],
    removed: [],
    evidence: {},
    reason: `${type} ${eventId}`,
    action: "none",
    warnings: [],
  } satisfies DriftEvent;
}

function changeSet(id: string, createdAt: string, events: DriftEvent[]): ChangeSetRecord {
  return {
    changeSetId: id,
    subject: { kind: "endpoint", key: `endpoint#${id}`, endpointId: id },
    group: "product-updates",
    sequence: 1,
    runId: "run-1",
    catalogueId: "catalogue",
    createdAt,
    events,
    state: "published",
    attempts: 1,
    publishedParts: [],
  } satisfies ChangeSetRecord;
}

describe("queryCommittedEvents", () => {
  const changeSets = [
    changeSet("cs-1", "2026-08-21T01:00:00.000Z", [
      driftEvent("e1", "ip-added"),
      driftEvent("e2", "ip-removed"),
    ]),
    changeSet("cs-2", "2026-08-21T02:00:00.000Z", [driftEvent("e3", "ip-added")]),
  ];

  function eventsStore() {
    const asked: ({ since?: string } | undefined)[] = [];
    const events: Pick<EventQueries, "listChangeSets"> = {
      async listChangeSets(range) {
        asked.push(range);
        return changeSets.filter((c) => range?.since === undefined || c.createdAt >= range.since);
      },
    };
    return { events, asked };
  }

  it("answers the asked types newest first, each with its change set, and how many matched", async () => {
    // Prepare
    const store = eventsStore();

    // Act
    const answer = await queryCommittedEvents(
      { events: store.events },
      { types: ["ip-added"], limit: 1 },
    );

    // Assess
    expect(answer.total).toBe(2);
    expect(answer.events).toEqual([
      {
        ...driftEvent("e3", "ip-added"),
        changeSet: {
          changeSetId: "cs-2",
          sequence: 1,
          committedAt: "2026-08-21T02:00:00.000Z",
          state: "published",
        },
      },
    ]);
    expect(store.asked).toEqual([{}]);
  });

  it("reads only the change sets since the time, every type when none is asked", async () => {
    const store = eventsStore();

    const answer = await queryCommittedEvents(
      { events: store.events },
      { since: "2026-08-21T01:30:00.000Z", types: [], limit: 10 },
    );

    expect(answer.events.map((e) => e.eventId)).toEqual(["e3"]);
    expect(store.asked).toEqual([{ since: "2026-08-21T01:30:00.000Z" }]);
  });

  it("keeps the order of a change set's events, reversed with the rest", async () => {
    const answer = await queryCommittedEvents(
      { events: eventsStore().events },
      { types: [], limit: 10 },
    );

    expect(answer.events.map((e) => e.eventId)).toEqual(["e3", "e2", "e1"]);
    expect(answer.total).toBe(3);
  });
});
