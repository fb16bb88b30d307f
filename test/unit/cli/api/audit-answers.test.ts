import { describe, expect, it } from "vitest";
import {
  apiHostnameAt,
  apiHostnameHistory,
  apiNewestCommittedEvents,
} from "#cli/api/audit-answers";
import { type AuditApiClient, AuditApiError } from "#cli/api/audit-api-client";

/** A client answering from a table of (path, query) → body, recording what it was asked. */
function scriptedClient(answer: (path: string, query: Record<string, string>) => unknown) {
  const asked: string[] = [];
  const client: AuditApiClient = {
    url: "https://api.example.com",
    async get(path, query = {}) {
      const defined = Object.fromEntries(
        Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      asked.push(`${path}?${new URLSearchParams(defined)}`);
      return answer(path, defined);
    },
  };
  return { client, asked };
}

const run = (runId: string) => ({ runId, observedAt: `2026-08-21T0${runId.slice(-1)}:00:00.000Z` });

describe("the use cases' answers through the audit API", () => {
  it("reads history pages until the limit, and says older runs exist when a cursor is left", async () => {
    const { client, asked } = scriptedClient((_path, query) =>
      query.cursor === undefined
        ? { runs: [run("r5"), run("r4")], cursor: "c1" }
        : { runs: [run("r3")], cursor: "c2" },
    );

    const answer = await apiHostnameHistory(client, { hostname: "a.example.com", limit: 3 });

    expect(answer).toMatchObject({ status: "observed", total: null });
    expect(answer.status === "observed" && answer.runs.map((r) => r.runId)).toEqual([
      "r5",
      "r4",
      "r3",
    ]);
    expect(asked).toEqual([
      "/history/a.example.com?limit=3",
      "/history/a.example.com?limit=1&cursor=c1",
    ]);
  });

  it("answers never-observed and not-yet-observed from the API's 404 reasons", async () => {
    const never = scriptedClient(() => {
      throw new AuditApiError(404, { reason: "never-observed", message: "m" }, "u");
    });
    const early = scriptedClient(() => {
      throw new AuditApiError(
        404,
        {
          reason: "not-yet-observed",
          trackedSince: "2026-08-21T01:00:00.000Z",
        } as AuditApiError["body"],
        "u",
      );
    });
    const input = { hostname: "a.example.com", at: "2026-08-20" };

    expect(await apiHostnameAt(never.client, input)).toEqual({
      status: "never-observed",
      hostname: "a.example.com",
    });
    expect(await apiHostnameAt(early.client, input)).toEqual({
      status: "not-yet-observed",
      hostname: "a.example.com",
      trackedSince: "2026-08-21T01:00:00.000Z",
    });
    await expect(
      apiHostnameHistory(never.client, { hostname: "a.example.com", limit: 1 }),
    ).resolves.toEqual({
      status: "never-observed",
      hostname: "a.example.com",
    });
  });

  it("reads every events page and keeps the newest, counting them all", async () => {
    const event = (id: string, committedAt: string) => ({
      eventId: id,
      subject: { key: "endpoint:x" },
      changeSet: { committedAt, sequence: 1 },
    });
    const { client, asked } = scriptedClient((_path, query) =>
      query.cursor === undefined
        ? { events: [event("old", "2026-08-21T01:00:00.000Z")], cursor: "c1" }
        : {
            events: [
              event("new", "2026-08-21T03:00:00.000Z"),
              event("mid", "2026-08-21T02:00:00.000Z"),
            ],
            cursor: null,
          },
    );

    const answer = await apiNewestCommittedEvents(client, {
      types: ["ip-added", "ip-removed"],
      limit: 2,
    });

    expect(answer.total).toBe(3);
    expect(answer.events.map((e) => e.eventId)).toEqual(["new", "mid"]);
    expect(asked[0]).toBe("/events?type=ip-added%2Cip-removed&limit=1000");
  });
});
