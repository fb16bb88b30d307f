import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { RunLeaseLostError } from "#shared/adapters/dynamodb/observation-store/run-lease";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { HostObservation } from "#shared/domain/observation";
import type { RunLease } from "#shared/observe/dns/observation-store";
import { startTestStack } from "#test/helpers/stack";
import { observation } from "#test/helpers/verdict-fixtures";

/**
 * The run lease and the batched history writes against dynalite: who may write a run, the
 * takeover of an expired lease, BatchWriteItem with the items DynamoDB leaves unprocessed.
 */

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const RUN_ID = "2026-08-22T10:15Z";
const OBSERVED_AT = "2026-08-22T10:15:00.000Z";

const store = (options: { clock?: () => number } = {}) =>
  createDynamoObservationStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
    batchRetryBaseMs: 1,
    ...options,
  });

const leaseOf = async (until: number, scope = "run"): Promise<RunLease> => {
  const outcome = await store().takeRunLease({ runId: RUN_ID, scope, until });
  if (!outcome.taken) throw new Error("lease not taken");
  return outcome.lease;
};

const observationsOf = (count: number): HostObservation[] =>
  Array.from({ length: count }, (_, i) =>
    observation(`host-${String(i).padStart(3, "0")}.example.net`, {
      runId: RUN_ID,
      observedAt: OBSERVED_AT,
      active: [`198.51.100.${i % 250}`],
    }),
  );

const savedHostnames = async (observations: readonly HostObservation[]) => {
  const saved = await store().savedObservations(
    { runId: RUN_ID, observedAt: OBSERVED_AT },
    observations.map((o) => o.hostname),
  );
  return [...saved.keys()].sort();
};

/**
 * Leaves all but `keep(n)` of the `n` items of the first `times` BatchWriteItem requests
 * unprocessed, as DynamoDB does under throttling; counts the requests and their items.
 */
function unprocessingBatches(times: number, keep = (n: number) => Math.ceil(n / 2)) {
  const requests: number[] = [];
  stack.clients.documents.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchWriteItemCommand") return next(args);
      const input = args.input as { RequestItems: Record<string, unknown[]> };
      const [table, items] = Object.entries(input.RequestItems)[0] ?? ["", []];
      requests.push(items.length);
      if (requests.length > times || items.length < 2) return next(args);
      const kept = items.slice(0, keep(items.length));
      const left = items.slice(kept.length);
      const result = await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } });
      const output = result.output as { UnprocessedItems?: Record<string, unknown[]> };
      output.UnprocessedItems = { [table]: left };
      return result;
    },
    // Before the request is serialised (the items marshalled), after the response is parsed.
    { step: "serialize", priority: "high", name: "unprocessingBatches" },
  );
  return requests;
}

describe("the run lease", () => {
  it("is taken once, refused to a twin while live, and taken over once released", async () => {
    // Prepare
    const until = Date.now() + 60_000;
    const first = await store().takeRunLease({ runId: RUN_ID, scope: "run", until });

    // Act
    const twin = await store().takeRunLease({ runId: RUN_ID, scope: "run", until: until + 5 });
    const otherShard = await store().takeRunLease({ runId: RUN_ID, scope: "shard#1", until });
    const live = await store().liveRunLease(RUN_ID, Date.now());
    if (!first.taken) throw new Error("first lease not taken");
    await store().releaseRunLease(first.lease);
    const afterRelease = await store().liveRunLease(RUN_ID, Date.now());
    const retry = await store().takeRunLease({ runId: RUN_ID, scope: "run", until });
    // The old owner releasing again leaves the new owner's lease alone.
    await store().releaseRunLease(first.lease);

    // Assess
    expect(first).toMatchObject({ taken: true, tookOver: false });
    expect(twin).toEqual({ taken: false, heldBy: first.lease.owner, until });
    expect(otherShard).toMatchObject({ taken: true, tookOver: false });
    expect(live).toBe(until);
    expect(afterRelease).toBe(until); // shard#1's lease is still live
    expect(retry).toMatchObject({ taken: true, tookOver: true });
    if (!retry.taken) throw new Error("retry lease not taken");
    expect(retry.lease.owner).not.toBe(first.lease.owner);
    const { Item } = await stack.clients.documents.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: `RUN#${RUN_ID}`, sk: "LEASE#run" } }),
    );
    expect(Item).toMatchObject({ leaseOwner: retry.lease.owner, leaseUntil: until });
  });

  it("lets one of two retries take over an expired lease, and the old owner write nothing more", async () => {
    // Prepare: the first invocation's lease has ended (it timed out)
    const expired = await leaseOf(Date.now() - 1_000);
    const until = Date.now() + 60_000;

    // Act
    const takers = await Promise.all([
      store().takeRunLease({ runId: RUN_ID, scope: "run", until }),
      store().takeRunLease({ runId: RUN_ID, scope: "run", until }),
    ]);
    const late = await store()
      .saveObservations(observationsOf(3), expired)
      .catch((error: unknown) => error);

    // Assess
    expect(takers.filter((t) => t.taken && t.tookOver)).toHaveLength(1);
    expect(takers.filter((t) => !t.taken)).toHaveLength(1);
    expect(late).toBeInstanceOf(RunLeaseLostError);
    expect(await savedHostnames(observationsOf(3))).toEqual([]);
  });

  it("is renewed before a batch when less than its margin is left, while still its owner's", async () => {
    // Prepare: a local run whose lease ends in 10 s (under the 30 s margin)
    let now = Date.now();
    const lease = await leaseOf(now + 10_000);
    const clocked = store({ clock: () => now });

    // Act
    const result = await clocked.saveObservations(observationsOf(2), lease);
    now += 1_000;
    const live = await clocked.liveRunLease(RUN_ID, now);

    // Assess: written, and the lease now ends 5 minutes after the renewal
    expect(result.failed).toEqual([]);
    expect(result.saved).toHaveLength(2);
    expect(live).toBeGreaterThanOrEqual(now - 1_000 + 5 * 60_000);
  });
});

describe("the batched history writes", () => {
  it("writes 25 items a request, retrying the unprocessed ones, large items included", async () => {
    // Prepare: 60 hostnames, one with 3,000 active IPs (its lists gzipped in listsGz)
    const observations = observationsOf(59);
    const large = observation("large.example.net", {
      runId: RUN_ID,
      observedAt: OBSERVED_AT,
      active: Array.from({ length: 3_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`),
    });
    observations.push(large);
    const lease = await leaseOf(Date.now() + 60_000);
    const requests = unprocessingBatches(2);

    // Act
    const result = await store().saveObservations(observations, lease);

    // Assess: 3 batches (25, 25, 10); the first two left half unprocessed, retried
    expect(result.failed).toEqual([]);
    expect(result.saved.map((o) => o.hostname).sort()).toEqual(
      observations.map((o) => o.hostname).sort(),
    );
    expect([...requests].sort((a, b) => a - b)).toEqual([10, 12, 12, 25, 25]);
    expect(await savedHostnames(observations)).toEqual(observations.map((o) => o.hostname).sort());
    const stored = await store().savedObservations({ runId: RUN_ID, observedAt: OBSERVED_AT }, [
      large.hostname,
    ]);
    expect(stored.get(large.hostname)).toEqual(large);
    const { Item } = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `HOST#${large.hostname}`, sk: `RUN#${OBSERVED_AT}#${RUN_ID}` },
      }),
    );
    expect(Item?.listsGz).toBeDefined();
  });

  it("fails the hostnames a batch still leaves unprocessed after its retries, saving the others", async () => {
    // Prepare: DynamoDB processes one item of each request, always (30 hostnames: 25 + 5)
    const observations = observationsOf(30);
    const lease = await leaseOf(Date.now() + 60_000);
    const requests = unprocessingBatches(Number.POSITIVE_INFINITY, () => 1);

    // Act
    const result = await store().saveObservations(observations, lease);

    // Assess: the 25-item batch gives up after 1 + 8 retries (9 written, 16 failed); the
    // 5-item one completes in 5 requests; what failed is not stored, what saved is
    expect(requests).toHaveLength(14);
    expect(result.failed).toHaveLength(16);
    expect(result.saved).toHaveLength(14);
    expect(String(result.failed[0]?.error)).toContain("unprocessed after 8 retries");
    expect(await savedHostnames(observations)).toEqual(result.saved.map((o) => o.hostname).sort());
  });
});
