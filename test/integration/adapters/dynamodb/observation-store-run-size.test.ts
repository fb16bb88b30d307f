import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { runKey } from "#shared/adapters/dynamodb/observation-store/observation-keys";
import {
  MAX_RUN_ITEM_BYTES,
  RunTooLargeError,
} from "#shared/adapters/dynamodb/observation-store/run-item";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * The run record lists every hostname the run covers. Plain, 20,000 vendor-like names (~40
 * characters) are ~880 KB, over DynamoDB's 400 KB item limit: a large estate could not begin a
 * run at all. The record keeps the list gzipped once it is large, and reads both forms back.
 */

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const store = () =>
  createDynamoObservationStore({ documents: stack.clients.documents, tableName: stack.tableName });

/** `count` distinct names shaped like a vendor's (pools, regions, product prefixes). */
function vendorHostnames(count: number): string[] {
  const regions = ["eu-west-1", "us-east-2", "ap-southeast-2", "ca-central-1"];
  const products = ["av-update", "spam-rules", "licence", "cloud-lookup", "sandbox"];
  return Array.from({ length: count }, (_, i) => {
    const product = products[i % products.length];
    const region = regions[Math.floor(i / products.length) % regions.length];
    return `${product}-${(i * 7919) % 100_000}.${region}.mail-gateway-vendor.example.com`;
  });
}

const storedRecord = async (runId: string) =>
  (
    await stack.clients.documents.send(
      new GetCommand({ TableName: stack.tableName, Key: runKey(runId), ConsistentRead: true }),
    )
  ).Item;

describe("the run record of a large estate", () => {
  it("begins a run of 20,000 hostnames and gives back the same list, in order, by every read", async () => {
    const hostnames = vendorHostnames(20_000);
    expect(JSON.stringify(hostnames).length).toBeGreaterThan(400 * 1024);
    const run = { runId: "2026-08-22T12:00Z", observedAt: "2026-08-22T12:00:01.000Z", hostnames };
    const observations = store();

    expect(await observations.beginRun(run)).toEqual({ created: true, run });
    const record = await storedRecord(run.runId);
    expect(record?.hostnames).toBeUndefined();
    expect(record?.hostnamesGz).toBeInstanceOf(Uint8Array);

    // A repeated invocation adopts the stored record; the backlog lists it unjudged.
    const again = await observations.beginRun({ ...run, observedAt: "2026-08-22T12:05:00.000Z" });
    expect(again).toEqual({ created: false, run });
    expect(await observations.unjudgedRuns()).toEqual([run]);
  });

  it("keeps a small run's list as plain attributes, as records written before did", async () => {
    const run = {
      runId: "cli-1",
      observedAt: "2026-08-22T12:00:01.000Z",
      hostnames: vendorHostnames(50),
    };
    await store().beginRun(run);
    expect((await storedRecord(run.runId))?.hostnames).toEqual(run.hostnames);
    expect(await store().unjudgedRuns()).toEqual([run]);
  });

  it("refuses, naming the run and its size, a list too large even gzipped, and writes nothing", async () => {
    // Random names do not compress: 40,000 of 32 hex characters are ~1.4 MB gzipped.
    const hostnames = Array.from(
      { length: 40_000 },
      (_, i) => `${i.toString(16)}-${crypto.randomUUID().replaceAll("-", "")}.example.com`,
    );
    const run = { runId: "2026-08-22T12:15Z", observedAt: "2026-08-22T12:15:00.000Z", hostnames };
    const error = await store()
      .beginRun(run)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunTooLargeError);
    expect(String((error as Error).message)).toMatch(/run 2026-08-22T12:15Z.*40000 hostnames/);
    expect((error as RunTooLargeError).bytes).toBeGreaterThan(MAX_RUN_ITEM_BYTES);
    expect(await storedRecord(run.runId)).toBeUndefined();
  });
});
