import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { startTestStack } from "#test/helpers/stack";
import { observation } from "#test/helpers/verdict-fixtures";

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const store = () =>
  createDynamoObservationStore({ documents: stack.clients.documents, tableName: stack.tableName });

const run = (runId: string, observedAt: string): DnsRun => ({
  runId,
  observedAt,
  hostnames: ["www.clearswift.com"],
});

describe("the observation store: which runs were judged", () => {
  it("lists the runs not marked judged, oldest first by observation time", async () => {
    // Prepare: begun out of order
    const observations = store();
    await observations.beginRun(run("2026-08-22T10:30Z", "2026-08-22T10:30:02.000Z"));
    await observations.beginRun(run("2026-08-22T10:00Z", "2026-08-22T10:00:01.000Z"));
    await observations.beginRun(run("2026-08-22T10:15Z", "2026-08-22T10:15:03.000Z"));

    // Act
    const before = await observations.unjudgedRuns();
    await observations.markRunJudged("2026-08-22T10:15Z");
    const after = await observations.unjudgedRuns();

    // Assess
    expect(before.map((r) => r.runId)).toEqual([
      "2026-08-22T10:00Z",
      "2026-08-22T10:15Z",
      "2026-08-22T10:30Z",
    ]);
    expect(before[0]).toEqual(run("2026-08-22T10:00Z", "2026-08-22T10:00:01.000Z"));
    expect(after.map((r) => r.runId)).toEqual(["2026-08-22T10:00Z", "2026-08-22T10:30Z"]);
  });

  it("marks a run once: again, or a run that is not stored, changes nothing and creates nothing", async () => {
    // Prepare
    const observations = store();
    await observations.beginRun(run("cli-1", "2026-08-22T10:00:00.000Z"));
    await observations.markRunJudged("cli-1");

    // Act
    await observations.markRunJudged("cli-1");
    await observations.markRunJudged("never-begun");
    const repeated = await observations.beginRun(run("cli-1", "2026-08-22T10:05:00.000Z"));

    // Assess: a redelivered run that was judged does not come back into the index
    expect(repeated.created).toBe(false);
    expect(await observations.unjudgedRuns()).toEqual([]);
    const { Item } = await stack.clients.documents.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: "RUN#never-begun", sk: "RUN" } }),
    );
    expect(Item).toBeUndefined();
  });
});

describe("the observation store: a hostname's newest runs", () => {
  const hostname = "www.clearswift.com";
  const times = [
    "2026-08-20T10:00:00.000Z",
    "2026-08-21T10:00:00.000Z",
    "2026-08-21T10:15:00.000Z",
    "2026-08-21T10:30:00.000Z",
    "2026-08-22T10:00:00.000Z",
  ];

  beforeEach(async () => {
    const observations = store();
    for (const observedAt of times) {
      await observations.saveObservation(
        observation(hostname, { runId: `run-${observedAt}`, observedAt, active: ["23.185.0.1"] }),
      );
    }
  });

  it("reads only the newest `limit` runs of the range, oldest first", async () => {
    // Act
    const newest = await store().history(hostname, { limit: 2 });
    const newestOfDay = await store().history(hostname, {
      from: "2026-08-21",
      to: "2026-08-21",
      limit: 2,
    });
    const all = await store().history(hostname, { limit: 50 });

    // Assess
    expect(newest.map((o) => o.observedAt)).toEqual([times[3], times[4]]);
    expect(newestOfDay.map((o) => o.observedAt)).toEqual([times[2], times[3]]);
    expect(all.map((o) => o.observedAt)).toEqual(times);
    expect(await store().history(hostname)).toEqual(all);
  });

  it("refuses a limit that is not a positive integer", async () => {
    await expect(store().history(hostname, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(store().history(hostname, { limit: 1.5 })).rejects.toThrow(RangeError);
  });
});
