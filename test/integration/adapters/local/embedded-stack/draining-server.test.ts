import type { AddressInfo } from "node:net";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureTable } from "#shared/adapters/dynamodb/table";
import { drainBeforeClose } from "#shared/adapters/local/embedded-stack/draining-server";

/**
 * dynalite stopped while requests are in flight, as an interrupted `detect` stops its store under
 * a cycle that is still writing: every request taken is answered on an open database, later ones
 * are refused, and nothing is thrown in the process.
 */
describe("drainBeforeClose: dynalite stopped under in-flight writes", () => {
  const uncaught: unknown[] = [];
  const record = (error: unknown) => uncaught.push(error);
  beforeEach(() => {
    uncaught.length = 0;
    process.on("uncaughtException", record);
  });
  afterEach(() => {
    process.off("uncaughtException", record);
  });

  it("answers the requests it took, refuses later ones, and throws nothing", async () => {
    // Prepare
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DynamoDBClient({
      endpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    await ensureTable(client, "drain-test");
    const store = drainBeforeClose(server);

    // Act: as the first of 20 updates reaches the store, its client hangs up and it is stopped.
    let closed: Promise<void> | undefined;
    server.on("request", () => {
      if (closed !== undefined) return;
      client.destroy();
      closed = store.close();
    });
    const updates = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.send(
          new UpdateItemCommand({
            TableName: "drain-test",
            Key: { pk: { S: `HOST#${i}` }, sk: { S: "STATE" } },
            UpdateExpression: "SET seen = :n",
            ExpressionAttributeValues: { ":n": { N: String(i) } },
          }),
        ),
      ),
    );
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(uncaught).toEqual([]);
    // The client gave up on every one of them: none is answered to it.
    expect(updates.every((u) => u.status === "rejected")).toBe(true);
  });
});
