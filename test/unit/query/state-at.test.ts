import { describe, expect, it } from "vitest";
import type { Catalogue } from "#shared/catalogue/schema";
import { queryStateAt } from "#shared/query/state-at";
import {
  changeEvent,
  committedChangeSet,
  fakeChangeSets,
  fakeObservations,
} from "#test/helpers/query-fakes";
import { catalogue, HOSTS, observation } from "#test/helpers/verdict-fixtures";

const PINNED = "appliance-online-help/clearswifhelp.clearswift.com";
const POOL1 = "avira-av-updates/aav-update-1.clearswift.net";
const ROTATING = "ntp-server/0.rhel.pool.ntp.org";
const HOSTNAME_ONLY = "swisssign-mpki-interface/ra.swisssign.net";
const at = (hour: number) => `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;

/** The pinned host: its documented IP, then an undocumented one from 02:00, gone at 05:00. */
const pinnedRuns = [
  observation(HOSTS.pinned, { observedAt: at(1), runId: "run-1", active: ["3.10.94.193"] }),
  observation(HOSTS.pinned, {
    observedAt: at(2),
    runId: "run-2",
    active: ["3.10.94.193"],
    entered: ["3.10.94.200"],
  }),
  observation(HOSTS.pinned, {
    observedAt: at(5),
    runId: "run-5",
    active: ["3.10.94.193"],
    left: ["3.10.94.200"],
  }),
];
const addedEvent = changeEvent("e-added", "ip-added", {
  endpointIds: [PINNED],
  added: ["3.10.94.200"],
  runId: "run-2",
});

/** The rotating host fails from 03:00 (three runs in a row at 05:00). */
const rotatingRuns = [
  observation(HOSTS.rotating, { observedAt: at(1), runId: "run-1", active: ["162.159.200.1"] }),
  ...[3, 4, 5].map((hour, i) =>
    observation(HOSTS.rotating, {
      observedAt: at(hour),
      runId: `run-${hour}`,
      active: ["162.159.200.1"],
      outcome: "servfail",
      consecutiveFailures: i + 1,
    }),
  ),
];

/** The hostname-only host answers a private address from 04:00. */
const suspiciousRuns = [
  observation(HOSTS.hostnameOnly, {
    observedAt: at(4),
    runId: "run-4",
    active: [],
    outcome: "error",
    consecutiveFailures: 1,
    suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
  }),
];
const suspiciousEvent = changeEvent("e-suspicious", "suspicious-answer", {
  endpointIds: [HOSTNAME_ONLY],
  evidence: { suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }] },
  runId: "run-4",
});

function stores() {
  const observations = fakeObservations({
    [HOSTS.pinned]: pinnedRuns,
    [HOSTS.rotating]: rotatingRuns,
    [HOSTS.hostnameOnly]: suspiciousRuns,
    [HOSTS.pool1]: [
      observation(HOSTS.pool1, {
        observedAt: at(1),
        runId: "run-1",
        active: ["185.155.104.24"],
        trackedSince: at(1),
      }),
    ],
  });
  const events = fakeChangeSets([
    committedChangeSet("cs-suspicious", at(4), [suspiciousEvent]),
    committedChangeSet("cs-added", "2026-08-21T02:00:01.000Z", [addedEvent]),
  ]);
  return { observations, events };
}

async function stateAt(time: string, cat: Catalogue = catalogue, pageSize?: number) {
  const { observations, events } = stores();
  const answer = await queryStateAt(
    { observations: observations.queries, events: events.pages },
    { catalogue: cat, at: time, ...(pageSize !== undefined ? { pageSize } : {}) },
  );
  const byId = new Map(answer.endpoints.map((e) => [e.endpointId, e]));
  return { answer, byId, observations, events };
}

describe("queryStateAt", () => {
  it("answers every catalogued endpoint in catalogue order, with the observed set in effect", async () => {
    // Act
    const { answer, byId } = await stateAt(at(3));

    // Assess
    expect(answer.at).toBe(at(3));
    expect(answer.endpoints.map((e) => e.endpointId)).toEqual(catalogue.endpoints.map((e) => e.id));
    expect(byId.get(PINNED)).toMatchObject({
      hostname: HOSTS.pinned,
      runId: "run-2",
      observedAt: at(2),
      observed: ["3.10.94.193", "3.10.94.200"],
    });
  });

  it("says an endpoint is drifted while an IP of its high ip-added event stays observed, since the commit", async () => {
    const { byId } = await stateAt(at(3));

    expect(byId.get(PINNED)).toMatchObject({
      status: "drifted",
      since: "2026-08-21T02:00:01.000Z",
      openEvents: [
        {
          eventId: "e-added",
          type: "ip-added",
          committedAt: "2026-08-21T02:00:01.000Z",
          ips: ["3.10.94.200"],
        },
      ],
    });
  });

  it("says ok again once the IP left, since the set last changed", async () => {
    const { byId } = await stateAt(at(6));

    expect(byId.get(PINNED)).toMatchObject({ status: "ok", since: at(5), openEvents: [] });
  });

  it("says ok when the catalogue has since documented the IP", async () => {
    const documented = {
      ...catalogue,
      endpoints: catalogue.endpoints.map((e) =>
        e.id === PINNED ? { ...e, ips: [...e.ips, "3.10.94.200"] } : e,
      ),
    } satisfies Catalogue;

    const { byId } = await stateAt(at(3), documented);

    expect(byId.get(PINNED)?.status).toBe("ok");
  });

  it("does not count an event committed after the time", async () => {
    const { byId } = await stateAt("2026-08-21T02:00:00.500Z");

    expect(byId.get(PINNED)?.status).toBe("ok");
  });

  it("says failing since the first failed run of the streak in effect", async () => {
    const { byId, observations } = await stateAt(at(5));

    expect(byId.get(ROTATING)).toMatchObject({
      status: "failing",
      since: at(3),
      consecutiveFailures: 3,
      outcome: "servfail",
      observed: ["162.159.200.1"],
    });
    expect(observations.asked).toContain(`history ${HOSTS.rotating} ${at(5)} 3`);
  });

  it("finds the streak's first failed run among revisions: the runs between only confirmed it", async () => {
    // Prepare: the streak began at 03:00 (count 1); the runs after confirmed that revision, and
    // the state was written again at 09:00 (count 7) when its revision grew old
    const failing = (hour: number, count: number) =>
      observation(HOSTS.rotating, {
        observedAt: at(hour),
        runId: `run-${hour}`,
        active: ["162.159.200.1"],
        outcome: "servfail",
        consecutiveFailures: count,
      });
    const observations = fakeObservations({
      [HOSTS.rotating]: [
        observation(HOSTS.rotating, {
          observedAt: at(1),
          runId: "run-1",
          active: ["162.159.200.1"],
        }),
        failing(3, 1),
        failing(9, 7),
      ],
    });

    // Act
    const answer = await queryStateAt(
      { observations: observations.queries, events: fakeChangeSets([]).pages },
      { catalogue, at: at(10) },
    );

    // Assess
    expect(answer.endpoints.find((e) => e.endpointId === ROTATING)).toMatchObject({
      status: "failing",
      since: at(3),
      consecutiveFailures: 7,
    });
  });

  it("says suspicious, before failing, since the suspicious-answer event", async () => {
    const { byId } = await stateAt(at(4));

    expect(byId.get(HOSTNAME_ONLY)).toMatchObject({
      status: "suspicious",
      since: at(4),
      suspicious: [{ ip: "10.20.30.40", range: "private" }],
      openEvents: [{ eventId: "e-suspicious", ips: ["10.20.30.40"] }],
    });
  });

  it("says not-observed for an endpoint without a hostname and before a hostname's first run", async () => {
    const { byId } = await stateAt("2026-08-21T00:30:00.000Z");

    expect(byId.get("smtp/any")).toMatchObject({ status: "not-observed", since: null });
    expect(byId.get(PINNED)).toMatchObject({ status: "not-observed", runId: null, observed: [] });
  });

  it("says ok since tracking began when the set never changed", async () => {
    const { byId } = await stateAt(at(3));

    expect(byId.get(POOL1)).toMatchObject({ status: "ok", since: at(1) });
  });

  it("reads the change sets up to the time page by page, with the same answer", async () => {
    const whole = await stateAt(at(4));
    const paged = await stateAt(at(4), catalogue, 1);

    expect(paged.answer).toEqual(whole.answer);
    expect(paged.events.asked).toEqual([
      { until: at(4), limit: 1 },
      { until: at(4), limit: 1, cursor: "1" },
    ]);
  });
});
