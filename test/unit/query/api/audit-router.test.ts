import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord } from "#shared/notify/ports";
import type { IpSighting } from "#shared/observe/dns/observation-store";
import { ApiParameterError } from "#shared/query/api/api-errors";
import { type ApiRequest, createAuditRouter } from "#shared/query/api/audit-router";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";
import { fakeChangeSets, fakeObservations } from "#test/helpers/query-fakes";
import { observation } from "#test/helpers/verdict-fixtures";

const HOST = "applianceupdate.clearswift.com";
const IP = "40.113.232.243";

function runAt(hour: number): HostObservation {
  const observedAt = `2026-08-21T${String(hour).padStart(2, "0")}:00:00.000Z`;
  return observation(HOST, {
    observedAt,
    runId: `run-${hour}`,
    active: [IP],
    trackedSince: "2026-08-21T01:00:00.000Z",
  });
}

function driftEvent(eventId: string): DriftEvent {
  return {
    eventId,
    type: eventId.startsWith("r") ? "ip-removed" : "ip-added",
    severity: "high",
    runId: "run-1",
    detectedAt: "2026-08-21T01:00:00.000Z",
    subject: { kind: "endpoint", key: `endpoint:${eventId}`, endpointId: eventId },
    group: "license-validation",
    endpoint: null,
    endpoints: [],
    added: [],
    removed: [],
    evidence: {},
    reason: `reason ${eventId}`,
    action: "none",
    warnings: [],
  } satisfies DriftEvent;
}

function changeSet(id: string, createdAt: string, events: DriftEvent[]): ChangeSetRecord {
  return {
    changeSetId: id,
    subject: { kind: "endpoint", key: `endpoint:${id}`, endpointId: id },
    group: "license-validation",
    sequence: 1,
    runId: "run-1",
    catalogueId: "clearswift-seg-5.3",
    createdAt,
    publishedAt: createdAt,
    events,
    state: "published",
    attempts: 1,
    publishedParts: [],
  } satisfies ChangeSetRecord;
}

const RUNS = [1, 2, 3, 4, 5].map(runAt);
const CHANGE_SETS = [
  changeSet("cs-1", "2026-08-21T01:00:00.000Z", [driftEvent("a1"), driftEvent("r2")]),
  changeSet("cs-2", "2026-08-21T02:00:00.000Z", [driftEvent("a3")]),
  changeSet("cs-3", "2026-08-21T03:00:00.000Z", [driftEvent("a4"), driftEvent("a5")]),
];
const SIGHTINGS: IpSighting[] = [
  { ip: IP, hostname: HOST, family: 4, firstSeen: "2026-08-21T01:00:00.000Z", runId: "run-1" },
];

/** The stores in memory: the runs of one hostname, one IP, three change sets. */
function memoryDeps(catalogue: Catalogue, failure?: Error): AuditApiDeps {
  const observations = fakeObservations({ [HOST]: RUNS });
  return {
    observations: {
      ...observations.queries,
      async latestObservations(hostnames) {
        if (failure) throw failure;
        const latest = RUNS.at(-1);
        return new Map(latest && hostnames.includes(HOST) ? [[HOST, latest]] : []);
      },
      async hostsForIp(ip) {
        return SIGHTINGS.filter((s) => s.ip === ip);
      },
    },
    events: {
      ...fakeChangeSets(CHANGE_SETS).pages,
      async publishedChangeSets(page) {
        const start = page.cursor === undefined ? 0 : Number(page.cursor.replace("page", ""));
        if (!Number.isInteger(start)) throw new ApiParameterError("cursor", "is not a cursor");
        const end = start + page.limit;
        return {
          changeSets: CHANGE_SETS.slice(start, end),
          cursor: end < CHANGE_SETS.length ? `page${end}` : null,
        };
      },
    },
    catalogue: async () => catalogue,
    catalogueIds: [catalogue.id],
    now: () => new Date("2026-08-21T12:00:00.000Z"),
  };
}

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogueFile();
});

function routerOver(deps: AuditApiDeps) {
  const logged: { message: string; attributes: Record<string, unknown> }[] = [];
  const route = createAuditRouter({
    ...deps,
    logger: { error: (message, attributes) => logged.push({ message, attributes }) },
  });
  return { route, logged };
}

async function get(path: string, query: ApiRequest["query"] = {}, deps?: AuditApiDeps) {
  const { route, logged } = routerOver(deps ?? memoryDeps(catalogue));
  const response = await route({ method: "GET", path, query, requestId: "req-1" });
  return {
    ...response,
    json: JSON.parse(response.body) as Record<string, unknown>,
    logged,
  };
}

describe("the audit router's routes", () => {
  it("GET /history/{hostname}: the runs newest first, one page, with a cursor to the older ones", async () => {
    // Act
    const first = await get(`/history/${HOST}`, { limit: "2" });
    const second = await get(`/history/${HOST}`, { limit: "2", cursor: `${first.json.cursor}` });
    const last = await get(`/history/${HOST}`, { limit: "2", cursor: `${second.json.cursor}` });

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.headers["content-type"]).toBe("application/json; charset=utf-8");
    const ids = (page: typeof first) =>
      (page.json.runs as HostObservation[]).map((run) => run.runId);
    expect(ids(first)).toEqual(["run-5", "run-4"]);
    expect(ids(second)).toEqual(["run-3", "run-2"]);
    expect(ids(last)).toEqual(["run-1"]);
    expect(last.json.cursor).toBeNull();
    expect(first.json).toMatchObject({ hostname: HOST, from: null, to: null });
    expect((first.json.runs as HostObservation[])[0]).toEqual(RUNS[4]);
  });

  it("GET /history/{hostname}?from&to: only the runs in the range; the hostname is normalised", async () => {
    const answer = await get(`/history/${HOST.toUpperCase()}.`, {
      from: "2026-08-21T02:00:00Z",
      to: "2026-08-21T03:30:00+00:00",
    });

    expect(answer.statusCode).toBe(200);
    expect((answer.json.runs as HostObservation[]).map((r) => r.runId)).toEqual(["run-3", "run-2"]);
    expect(answer.json).toMatchObject({
      hostname: HOST,
      from: "2026-08-21T02:00:00.000Z",
      to: "2026-08-21T03:30:00.000Z",
      cursor: null,
    });
  });

  it("GET /history/{hostname}?at: the observation in effect then", async () => {
    const answer = await get(`/history/${HOST}`, { at: "2026-08-21T02:30:00Z" });

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toEqual({
      hostname: HOST,
      at: "2026-08-21T02:30:00.000Z",
      observation: RUNS[1],
    });
  });

  it("GET /ips/{ip}: the hostnames that used it and what the catalogue documents for it", async () => {
    const answer = await get(`/ips/${IP}`);

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({
      ip: IP,
      hosts: [{ hostname: HOST, current: true, firstSeen: "2026-08-21T01:00:00.000Z" }],
    });
    expect(answer.json.documentedFor).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: "documented", hostname: HOST })]),
    );
  });

  it("GET /ips/{ip}: an IPv6 address, percent-encoded or not, is canonicalised", async () => {
    const encoded = await get("/ips/2001%3ADB8%3A0%3A0%3A0%3A0%3A0%3A1");
    const plain = await get("/ips/2001:db8::1");

    expect(encoded.json).toMatchObject({ ip: "2001:db8::1", hosts: [] });
    expect(plain.json).toEqual(encoded.json);
  });

  it("GET /events: the asked types of a page of change sets, newest first within it, paged by the store's cursor", async () => {
    // Act
    const first = await get("/events", { type: "ip-added", limit: "2" });
    const second = await get("/events", {
      type: "ip-added",
      limit: "2",
      cursor: `${first.json.cursor}`,
    });

    // Assess
    const ids = (page: typeof first) =>
      (page.json.events as { eventId: string }[]).map((e) => e.eventId);
    expect(ids(first)).toEqual(["a3", "a1"]);
    expect(ids(second)).toEqual(["a5", "a4"]);
    expect(second.json.cursor).toBeNull();
    expect((first.json.events as { changeSet: unknown }[])[0]?.changeSet).toEqual({
      changeSetId: "cs-2",
      sequence: 1,
      committedAt: "2026-08-21T02:00:00.000Z",
      state: "published",
    });
  });

  it("GET /events?since&until: only change sets committed then; several types comma-separated", async () => {
    const answer = await get("/events", {
      since: "2026-08-21T02:00:00Z",
      until: "2026-08-21",
      type: "ip-removed,ip-added",
    });

    expect((answer.json.events as { eventId: string }[]).map((e) => e.eventId)).toEqual([
      "a5",
      "a4",
      "a3",
    ]);
  });

  it("GET /state: every endpoint of the catalogue at the time, a page at a time", async () => {
    const first = await get("/state", { at: "2026-08-21T03:30:00Z", limit: "50" });
    const rest = await get("/state", {
      at: "2026-08-21T03:30:00Z",
      cursor: `${first.json.cursor}`,
    });
    const now = await get("/state", { limit: "1000" });

    const endpoints = (page: typeof first) =>
      page.json.endpoints as {
        endpointId: string;
        hostname: string | null;
        status: string;
        runId: string | null;
      }[];
    expect(first.json.at).toBe("2026-08-21T03:30:00.000Z");
    expect(endpoints(first)).toHaveLength(50);
    expect([...endpoints(first), ...endpoints(rest)].map((e) => e.endpointId)).toEqual(
      catalogue.endpoints.map((e) => e.id),
    );
    expect(rest.json.cursor).toBeNull();
    const appliance = endpoints(now).find((e) => e.hostname === HOST);
    expect(appliance).toMatchObject({ status: "ok", runId: "run-5" });
    expect(now.json.at).toBe("2026-08-21T12:00:00.000Z");
  });

  it("GET /changes: what entered and left between two times, a page at a time", async () => {
    // Prepare: a run that saw an IP enter the hostname's set.
    const moved = observation(HOST, {
      observedAt: "2026-08-21T06:00:00.000Z",
      runId: "run-6",
      active: [IP],
      entered: ["40.113.232.250", "40.113.232.251"],
    });
    const deps = memoryDeps(catalogue);
    deps.observations = {
      ...deps.observations,
      ...fakeObservations({ [HOST]: [...RUNS, moved] }).queries,
    };

    // Act
    const answer = await get(
      "/changes",
      { from: "2026-08-21", to: "2026-08-21T23:00:00Z", limit: "1" },
      deps,
    );
    const after = await get(
      "/changes",
      { from: "2026-08-21", cursor: `${answer.json.cursor}` },
      deps,
    );

    // Assess
    expect(answer.json).toMatchObject({
      from: "2026-08-21T00:00:00.000Z",
      to: "2026-08-21T23:00:00.000Z",
      changes: [
        {
          kind: "hostname",
          hostname: HOST,
          change: "entered",
          ip: "40.113.232.250",
          runId: "run-6",
        },
      ],
    });
    expect(answer.json.cursor).toEqual(expect.any(String));
    expect(after.json.changes).toMatchObject([{ change: "entered", ip: "40.113.232.251" }]);
    expect(after.json.cursor).toBeNull();
  });

  it("GET /notifications: the published change sets, oldest first, paged by the store's cursor", async () => {
    const first = await get("/notifications", { limit: "2" });
    const second = await get("/notifications", { limit: "2", cursor: `${first.json.cursor}` });

    const ids = (page: typeof first) =>
      (page.json.notifications as { changeSetId: string }[]).map((n) => n.changeSetId);
    expect(ids(first)).toEqual(["cs-1", "cs-2"]);
    expect(ids(second)).toEqual(["cs-3"]);
    expect(second.json.cursor).toBeNull();
    expect((first.json.notifications as unknown[])[0]).toMatchObject({
      changeSetId: "cs-1",
      severity: "high",
      eventIds: ["a1", "r2"],
      eventTypes: ["ip-added", "ip-removed"],
    });
  });
});

describe("the audit router's refusals", () => {
  const badRequests: [string, string, ApiRequest["query"], string, RegExp][] = [
    [
      "a malformed hostname",
      "/history/not_a..host",
      {},
      "hostname",
      /not a fully qualified hostname/,
    ],
    ["a bare label", "/history/localhost", {}, "hostname", /"localhost" is not a fully qualified/],
    [
      "a malformed time",
      `/history/${HOST}`,
      { at: "yesterday" },
      "at",
      /"yesterday" is not a date/,
    ],
    ["an impossible date", `/history/${HOST}`, { from: "2026-02-30" }, "from", /not a date/],
    ["a time without zone", `/history/${HOST}`, { to: "2026-08-21T10:00:00" }, "to", /not a date/],
    [
      "at with from",
      `/history/${HOST}`,
      { at: "2026-08-21", from: "2026-08-20" },
      "at",
      /cannot be combined/,
    ],
    [
      "from after to",
      `/history/${HOST}`,
      { from: "2026-08-22", to: "2026-08-21" },
      "from",
      /is after to/,
    ],
    ["a page size over 1000", "/events", { limit: "1001" }, "limit", /from 1 to 1000/],
    ["a page size of 0", "/notifications", { limit: "0" }, "limit", /"0" is not a page size/],
    ["a page size not a number", `/history/${HOST}`, { limit: "ten" }, "limit", /"ten"/],
    ["a malformed IP", "/ips/185.155.104.256", {}, "ip", /"185.155.104.256" is not an IP address/],
    ["an IP with a zone", "/ips/fe80::1%25eth0", {}, "ip", /not an IP address/],
    [
      "an unknown event type",
      "/events",
      { type: "ip-added,ip-moved" },
      "type",
      /"ip-moved" is not an event type/,
    ],
    [
      "a misspelt parameter",
      "/events",
      { sinse: "2026-08-21" },
      "sinse",
      /is not a parameter of this route/,
    ],
    ["a cursor with foreign characters", "/events", { cursor: "a b" }, "cursor", /is not a cursor/],
    [
      "a cursor of another route",
      "/state",
      { cursor: Buffer.from('{"k":"changes","skip":2}').toString("base64url") },
      "cursor",
      /is not a cursor/,
    ],
    ["changes without from", "/changes", {}, "from", /^from: is required$/],
    [
      "changes from after to",
      "/changes",
      { from: "2026-08-22", to: "2026-08-21" },
      "from",
      /is after to 2026-08-21/,
    ],
    [
      "events since after until",
      "/events",
      { since: "2026-08-22", until: "2026-08-21" },
      "since",
      /is after until/,
    ],
    ["a malformed state time", "/state", { at: "2026-13-01" }, "at", /"2026-13-01" is not a date/],
    [
      "a tampered history cursor",
      `/history/${HOST}`,
      { cursor: Buffer.from('{"k":"history","before":"soon"}').toString("base64url") },
      "cursor",
      /is not a cursor/,
    ],
    [
      "a store's refusal of its cursor",
      "/notifications",
      { cursor: "pageX" },
      "cursor",
      /is not a cursor/,
    ],
    ["a path that is not percent-encoded", "/ips/%E0%A4%A", {}, "path", /not percent-encoded/],
  ];

  it.each(badRequests)(
    "400 for %s, naming the parameter",
    async (_case, path, query, parameter, message) => {
      const answer = await get(path, query);

      expect(answer.statusCode).toBe(400);
      expect(answer.json).toMatchObject({ error: "bad-request", parameter, requestId: "req-1" });
      expect(String(answer.json.message)).toMatch(new RegExp(`^${parameter}: `));
      expect(String(answer.json.message)).toMatch(message);
      expect(answer.body).not.toMatch(/ at .*\.ts:\d+|Zod|stack/i);
    },
  );

  it("404 for a hostname never observed, and for a time before its first observation", async () => {
    const never = await get("/history/never.example.com");
    const early = await get(`/history/${HOST}`, { at: "2026-08-20" });

    expect(never.statusCode).toBe(404);
    expect(never.json).toEqual({
      error: "not-found",
      reason: "never-observed",
      hostname: "never.example.com",
      message:
        "hostname never.example.com has never been observed (only catalogued hostnames are resolved)",
      requestId: "req-1",
    });
    expect(early.statusCode).toBe(404);
    expect(early.json).toMatchObject({
      reason: "not-yet-observed",
      trackedSince: "2026-08-21T01:00:00.000Z",
    });
    expect(early.json.message).toBe(
      `hostname ${HOST} was not observed yet at 2026-08-20: it is tracked since 2026-08-21T01:00:00.000Z`,
    );
  });

  it("404 for an unknown route, 405 for another method", async () => {
    const unknown = await get("/tables/driftwatch");
    const trailing = await get("/history/");
    const { route } = routerOver(memoryDeps(catalogue));
    const post = await route({ method: "POST", path: "/events", query: {}, requestId: "req-2" });

    expect(unknown.statusCode).toBe(404);
    expect(unknown.json.message).toMatch(
      /^no audit route "\/tables\/driftwatch" \(routes: \/state, \/changes, \/history\/\{hostname\}/,
    );
    expect(trailing.statusCode).toBe(404);
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe("GET");
  });

  it("500 with a generic message and the request id when a store fails; the details only in the log", async () => {
    // Prepare: a store failure whose message names the table, as the SDK's do.
    const failure = new Error(
      "Requested resource not found: Table: driftwatch-prod-Table-1A2B not found",
    );

    // Act
    const answer = await get(`/history/${HOST}`, {}, memoryDeps(catalogue, failure));

    // Assess
    expect(answer.statusCode).toBe(500);
    expect(answer.json).toEqual({
      error: "internal-error",
      message:
        "the audit API could not answer this request; quote the request id when reporting it",
      requestId: "req-1",
    });
    expect(answer.body).not.toContain("driftwatch-prod");
    expect(answer.body).not.toContain("Error");
    expect(answer.logged).toEqual([
      {
        message: "audit request failed",
        attributes: expect.objectContaining({
          requestId: "req-1",
          path: `/history/${HOST}`,
          error: expect.objectContaining({ message: failure.message, stack: expect.any(String) }),
        }),
      },
    ]);
  });
});
