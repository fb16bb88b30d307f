import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { ObservationStoreError } from "#shared/adapters/dynamodb/observation-store/observation-store-error";
import type { ResolverAnswer } from "#shared/domain/observation";
import type { RunLease } from "#shared/observe/dns/observation-store";
import { ObservationSaveError, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { observation } from "#test/helpers/verdict-fixtures";

/**
 * The batched history writes when DynamoDB throttles or fails (aws-sdk-client-mock): bounded
 * retries of unprocessed items, the hostnames of a failed batch named, the run left unjudged.
 */

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }));
const mock = mockClient(documents);
afterEach(() => {
  mock.reset();
});

const RUN_ID = "2026-08-22T10:15Z";
const OBSERVED_AT = "2026-08-22T10:15:00.000Z";
const LEASE: RunLease = { runId: RUN_ID, scope: "run", owner: "me", until: Date.now() + 600_000 };

const store = () =>
  createDynamoObservationStore({ documents, tableName: "driftwatch", batchRetryBaseMs: 1 });

const observationsOf = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    observation(`host-${String(i).padStart(2, "0")}.example.net`, {
      runId: RUN_ID,
      observedAt: OBSERVED_AT,
    }),
  );

type Requests = { PutRequest: { Item: Record<string, unknown> } }[];
const requestsOf = (input: unknown): Requests =>
  (input as { RequestItems: Record<string, Requests> }).RequestItems.driftwatch ?? [];

const throttled = () =>
  Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
    name: "ProvisionedThroughputExceededException",
  });

/** One name answering one address at every server. */
const resolver: DnsResolver = {
  servers: ["10.0.0.2:53"],
  async lookup(request) {
    return {
      resolver: request.server,
      outcome: "answered",
      cnameChain: [],
      a: [{ ip: "198.51.100.7", ttl: 60 }],
      aaaa: [],
      families: { a: "answered", aaaa: "nodata" },
    } satisfies ResolverAnswer;
  },
  close() {},
};

describe("the batched history writes, throttled", () => {
  it("retries what a throttled batch leaves unprocessed, then fails its hostnames, bounded", async () => {
    // Prepare: every request is left wholly unprocessed
    mock.on(BatchWriteCommand).callsFake(async (input) => ({
      UnprocessedItems: { driftwatch: requestsOf(input) },
    }));
    const observations = observationsOf(30);

    // Act
    const result = await store().saveObservations(observations, LEASE);

    // Assess: 25 + 5 items; each batch sent 1 + 8 times; nothing saved, every hostname failed
    const calls = mock.commandCalls(BatchWriteCommand);
    expect(calls).toHaveLength(18);
    expect(new Set(calls.map((call) => requestsOf(call.args[0].input).length))).toEqual(
      new Set([25, 5]),
    );
    expect(result.saved).toEqual([]);
    expect(result.failed.map((f) => f.hostname).sort()).toEqual(
      observations.map((o) => o.hostname).sort(),
    );
    expect(result.failed[0]?.error).toBeInstanceOf(ObservationStoreError);
  });

  it("fails only the hostnames of a batch the SDK gave up on, naming the throttling as cause", async () => {
    // Prepare: the second request fails (the SDK's own retries exhausted)
    let call = 0;
    mock.on(BatchWriteCommand).callsFake(async () => {
      call++;
      if (call === 2) throw throttled();
      return { UnprocessedItems: {} };
    });
    const observations = observationsOf(50);

    // Act
    const result = await store().saveObservations(observations, LEASE);

    // Assess
    expect(result.saved).toHaveLength(25);
    expect(result.failed).toHaveLength(25);
    const error = result.failed[0]?.error as ObservationStoreError;
    expect(error).toBeInstanceOf(ObservationStoreError);
    expect((error.cause as Error).name).toBe("ProvisionedThroughputExceededException");
  });

  it("fails the run clearly when a batch fails and leaves it unjudged, its lease released", async () => {
    // Prepare: a new run (nothing stored before); the second batch write fails
    mock.on(PutCommand).resolves({});
    mock.on(GetCommand).resolves({});
    mock.on(QueryCommand).resolves({ Items: [] });
    mock.on(BatchGetCommand).resolves({ Responses: {} });
    mock.on(UpdateCommand).resolves({});
    let call = 0;
    mock.on(BatchWriteCommand).callsFake(async () => {
      call++;
      if (call === 2) throw throttled();
      return { UnprocessedItems: {} };
    });
    const targets = Array.from({ length: 40 }, (_, i) => ({
      hostname: `host-${String(i).padStart(2, "0")}.example.net`,
      policy: "pinned" as const,
    }));

    // Act
    const failure = await resolveHostnames(
      { resolver, store: store(), sleep: async () => {} },
      {
        targets,
        runId: RUN_ID,
        now: new Date(OBSERVED_AT),
        deadline: Date.now() + 10_000,
        options: { samples: 1 },
      },
    ).catch((error: unknown) => error);

    // Assess: the hostnames of the failed batch are named; nothing took the run out of the
    // unjudged index (no REMOVE gsi1pk); the lease was released (leaseUntil = now)
    expect(failure).toBeInstanceOf(ObservationSaveError);
    const hostnames = (failure as ObservationSaveError).hostnames;
    expect(hostnames.length).toBeGreaterThan(0);
    expect(hostnames.length).toBeLessThanOrEqual(25);
    const updates = mock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.some((u) => String(u.UpdateExpression).includes("REMOVE gsi1pk"))).toBe(false);
    expect(updates).toEqual([
      expect.objectContaining({
        Key: { pk: `RUN#${RUN_ID}`, sk: "LEASE#run" },
        UpdateExpression: "SET leaseUntil = :now",
      }),
    ]);
  });
});
