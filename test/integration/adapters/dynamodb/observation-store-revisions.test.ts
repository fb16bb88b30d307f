import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  confirmationItems,
  parseConfirmationItem,
} from "#shared/adapters/dynamodb/observation-store/confirmations";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { advanceObservation } from "#shared/observe/dns/observation-window";
import { recordingObservationStore } from "#test/helpers/recording-observation-store";
import { startTestStack } from "#test/helpers/stack";

/**
 * Revisions against dynalite: a run writes a history item only for a hostname whose state
 * changed; the others it confirms (one confirmation list per run), and every read gives back
 * the observation the run would have written.
 */

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const recordingStore = (options: { historyRetentionDays?: number } = {}) =>
  recordingObservationStore(stack, options);
type Store = ReturnType<typeof recordingStore>["store"];

// Public addresses: documentation ranges are reserved, so never enter the observed set.
const STEADY = "steady.example-av.com";
const MOVING = "moving.example-av.com";
const IPS: Record<string, string[]> = {
  [STEADY]: ["151.101.1.10", "2a04:4e42::10"],
  [MOVING]: ["151.101.65.10"],
};

function answers(ips: readonly string[]): ResolverAnswer[] {
  return [
    {
      resolver: "127.0.0.1:5353",
      outcome: "answered",
      cnameChain: [],
      a: ips.filter((ip) => !ip.includes(":")).map((ip) => ({ ip, ttl: 300 })),
      aaaa: ips.filter((ip) => ip.includes(":")).map((ip) => ({ ip, ttl: 300 })),
      families: { a: "answered", aaaa: ips.some((ip) => ip.includes(":")) ? "answered" : "nodata" },
    },
  ];
}

/**
 * One run of both hostnames as `resolveHostnames` records it: begun, leased, the state before
 * it read, each advanced with `ips` (the current addresses unless given), saved with that state
 * as `previous`, then judged. Returns what it saved.
 */
async function recordRun(
  store: Store,
  n: number,
  observedAt: string,
  ips: Record<string, string[]> = IPS,
): Promise<{ run: DnsRun; saved: Map<string, HostObservation> }> {
  const run = { runId: `r${n}`, observedAt, hostnames: Object.keys(ips) };
  await store.beginRun(run);
  const outcome = await store.takeRunLease({
    runId: run.runId,
    scope: "run",
    until: Date.now() + 60_000,
  });
  if (!outcome.taken) throw new Error("lease not taken");
  const previous = await store.previousObservations(run.hostnames, run);
  const observations = run.hostnames.map((hostname) =>
    advanceObservation(previous.get(hostname) ?? null, answers(ips[hostname] ?? []), {
      hostname,
      runId: run.runId,
      now: new Date(observedAt),
      grace: { runs: 3, hours: 1 },
    }),
  );
  const result = await store.saveObservations(observations, outcome.lease, previous);
  if (result.failed.length > 0) {
    throw new Error(`not saved: ${result.failed.map((f) => f.hostname).join(", ")}`);
  }
  await store.releaseRunLease(outcome.lease);
  await store.markRunJudged(run.runId);
  return { run, saved: new Map(result.saved.map((o) => [o.hostname, o])) };
}

const T = (hour: number) => new Date(Date.UTC(2026, 7, 22, hour)).toISOString();

async function confirmationsOf(runId: string): Promise<Record<string, unknown>[]> {
  const page = await stack.clients.documents.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": `RUN#${runId}`, ":prefix": "CONFIRMED#" },
    }),
  );
  return page.Items ?? [];
}

async function historySortKeys(hostname: string): Promise<string[]> {
  const page = await stack.clients.documents.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `HOST#${hostname}` },
    }),
  );
  return (page.Items ?? []).map((item) => String(item.sk));
}

describe("the observation store: revisions", () => {
  it("writes a history item only for the hostname that changed, and confirms the other", async () => {
    // Prepare: two runs; the second only confirms what the first saw
    const { store, commands } = recordingStore();
    await recordRun(store, 1, T(1));
    await recordRun(store, 2, T(2));
    const moved = { ...IPS, [MOVING]: ["151.101.129.10"] };
    commands.length = 0;

    // Act
    const { run, saved } = await recordRun(store, 3, T(3), moved);

    // Assess: one history item (the moving host's), one confirmation item; the other puts are
    // the run record, its lease and the IP index item of the IP that entered
    expect(commands.filter((c) => c === "BatchWriteCommand")).toHaveLength(1);
    expect(commands.filter((c) => c === "PutCommand")).toHaveLength(4);
    expect(await historySortKeys(STEADY)).toEqual([`RUN#${T(1)}#r1`]);
    expect(await historySortKeys(MOVING)).toEqual([`RUN#${T(1)}#r1`, `RUN#${T(3)}#r3`]);
    const confirmations = await stack.clients.documents.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": "RUN#r3", ":prefix": "CONFIRMED#run#" },
      }),
    );
    expect(confirmations.Items).toHaveLength(1);
    const reread = await recordingStore().store.observationsOfRun(run, run.hostnames);
    expect(reread.get(STEADY)).toEqual(saved.get(STEADY));
    expect(reread.get(MOVING)).toEqual(saved.get(MOVING));
    expect(reread.get(MOVING)?.entered).toEqual(["151.101.129.10"]);
  });

  it("gives back, run after run, the state each confirming run would have written", async () => {
    // Prepare: r1 is the revision of the steady host; r2 to r5 only confirm it
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    await recordRun(store, 2, T(2));
    const runs = [];
    for (const n of [3, 4, 5]) runs.push(await recordRun(store, n, T(n)));

    // Act: reads by a store that saw none of it (another invocation)
    const reader = recordingStore().store;
    const latest = await reader.latestObservations([STEADY]);
    const before6 = await reader.previousObservations([STEADY], { runId: "r6", observedAt: T(6) });
    const ofRun4 = await reader.observationsOfRun(runs[1]?.run as DnsRun, [STEADY]);

    // Assess
    const last = runs[2]?.saved.get(STEADY);
    expect(latest.get(STEADY)).toEqual(last);
    expect(before6.get(STEADY)).toEqual(last);
    expect(last?.runId).toBe("r5");
    expect(last?.active.map((ip) => [ip.timesSeen, ip.lastSeen])).toEqual([
      [5, T(5)],
      [5, T(5)],
    ]);
    expect(ofRun4.get(STEADY)).toEqual(runs[1]?.saved.get(STEADY));
    expect(await historySortKeys(STEADY)).toEqual([`RUN#${T(1)}#r1`]);
    // "what did it resolve to at D": the revision in effect then, written by r1
    expect((await reader.observationAt(STEADY, T(4)))?.active.map((ip) => ip.ip)).toEqual(
      IPS[STEADY],
    );
    expect((await reader.observationAt(STEADY, T(4)))?.runId).toBe("r1");
  });

  it("reads a confirmed state from its confirmations, without reading the revision's item", async () => {
    // Prepare: r1 wrote both revisions, r2 and r3 confirmed them
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    await recordRun(store, 2, T(2));
    const { saved } = await recordRun(store, 3, T(3));

    // Act: the state before r4, read by another invocation
    const reader = recordingStore();
    const before4 = await reader.store.previousObservations([STEADY, MOVING], {
      runId: "r4",
      observedAt: T(4),
    });

    // Assess: one query of r3's confirmations, no item of either hostname read
    expect(before4).toEqual(saved);
    expect(reader.commands.filter((c) => c === "BatchGetCommand")).toEqual([]);
    expect(reader.commands.filter((c) => c === "QueryCommand").length).toBeLessThanOrEqual(3);
  });

  it("reads confirmations that list no revision through the revision's history item", async () => {
    // Prepare: r2's confirmations rewritten by key only, as a revision too large to list is
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    const { run, saved } = await recordRun(store, 2, T(2));
    const [item] = await confirmationsOf("r2");
    if (item === undefined) throw new Error("r2 confirmed nothing");
    const byKey = parseConfirmationItem(item).map(({ revision: _, ...rest }) => rest);
    const [rewritten] = confirmationItems(run, { scope: "run", owner: "x" }, byKey, 0);
    await stack.clients.documents.send(
      new PutCommand({ TableName: stack.tableName, Item: { ...rewritten, sk: item.sk } }),
    );

    // Act
    const reader = recordingStore();
    const ofRun2 = await reader.store.observationsOfRun(run, [STEADY, MOVING]);

    // Assess: the same states, the revisions read from their items
    expect(ofRun2).toEqual(saved);
    expect(reader.commands).toContain("BatchGetCommand");
  });

  it("names a confirmation whose listed revision is not the one it names", async () => {
    // Prepare: r2's confirmation of the steady host lists the moving host's revision
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    const { run } = await recordRun(store, 2, T(2));
    const [item] = await confirmationsOf("r2");
    if (item === undefined) throw new Error("r2 confirmed nothing");
    const listed = parseConfirmationItem(item);
    const moving = listed.find((c) => c.hostname === MOVING)?.revision;
    const swapped = listed.map((c) => (c.hostname === STEADY ? { ...c, revision: moving } : c));
    const [rewritten] = confirmationItems(run, { scope: "run", owner: "x" }, swapped, 0);
    await stack.clients.documents.send(
      new PutCommand({ TableName: stack.tableName, Item: { ...rewritten, sk: item.sk } }),
    );

    // Act
    const reading = recordingStore().store.observationsOfRun(run, [STEADY]);

    // Assess
    await expect(reading).rejects.toThrow(
      `stored confirmation of HOST#${STEADY} lists a revision that is not RUN#${T(1)}#r1`,
    );
  });

  it("writes an unchanged state again once its revision is older than the refresh age", async () => {
    // Prepare: 2 days of retention, so a revision is refreshed after one day
    const { store } = recordingStore({ historyRetentionDays: 2 });
    await recordRun(store, 1, T(1));
    await recordRun(store, 2, T(2));
    await recordRun(store, 3, T(3));

    // Act
    await recordRun(store, 4, new Date(Date.UTC(2026, 7, 23, 3)).toISOString());

    // Assess: r2 and r3 confirmed r1; r4, 26 hours after r1, wrote the state again
    expect(await historySortKeys(STEADY)).toEqual([
      `RUN#${T(1)}#r1`,
      "RUN#2026-08-23T03:00:00.000Z#r4",
    ]);
  });

  it("fails the hostnames it confirmed when their confirmations cannot be put", async () => {
    // Prepare: a baseline, then DynamoDB refusing every put of confirmations
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    const refused = { ...IPS, [MOVING]: ["151.101.129.10"] };
    stack.clients.documents.middlewareStack.add(
      (next, context) => async (args) => {
        const sk = String((args.input as { Item?: { sk?: unknown } }).Item?.sk ?? "");
        if (context.commandName === "PutItemCommand" && sk.startsWith("CONFIRMED#")) {
          throw Object.assign(new Error("throttled in test"), { name: "ThrottlingException" });
        }
        return next(args);
      },
      // Before the request is serialised (the item as the store built it).
      { step: "serialize", priority: "high", name: "refuseConfirmations" },
    );

    // Act
    const reading = recordRun(store, 2, T(2), refused);

    // Assess: the steady hostname failed (its run stays unjudged), the moving one was written
    await expect(reading).rejects.toThrow();
    stack.clients.documents.middlewareStack.remove("refuseConfirmations");
    const run = { runId: "r2", observedAt: T(2) };
    const saved = await recordingStore().store.observationsOfRun(run, [STEADY, MOVING]);
    expect([...saved.keys()]).toEqual([MOVING]);
    expect((await recordingStore().store.unjudgedRuns()).map((r) => r.runId)).toEqual(["r2"]);
  });

  it("names the confirmations it cannot read, and reads nothing in their place", async () => {
    // Prepare
    const { store } = recordingStore();
    await recordRun(store, 1, T(1));
    const { run } = await recordRun(store, 2, T(2));
    await stack.clients.documents.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: "RUN#r2", sk: "CONFIRMED#run#broken#0", confirmedGz: new Uint8Array([1, 2]) },
      }),
    );

    // Act
    const reading = recordingStore().store.observationsOfRun(run, [STEADY]);

    // Assess
    await expect(reading).rejects.toThrow(
      "stored confirmations RUN#r2 CONFIRMED#run#broken#0 are unreadable",
    );
  });
});
