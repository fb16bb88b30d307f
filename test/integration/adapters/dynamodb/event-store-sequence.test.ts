import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startTestStack } from "#test/helpers/stack";

const SUBJECT = "endpoint:appliance-online-help/clearswifhelp.clearswift.com";
const changeSetId = (n: number) => String(n).padStart(64, "0");

describe("per-subject sequence numbers (DynamoDB event store, single-item conditional writes)", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("gives concurrent commits of different change sets distinct numbers with no gap", async () => {
    // Prepare
    const store = createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    const ids = [1, 2, 3, 4, 5, 6, 7, 8].map(changeSetId);

    // Act
    const numbers = await Promise.all(ids.map((id) => store.assignSequence(SUBJECT, id)));
    const other = await store.assignSequence("pool:av-update-mirrors/mirrors", changeSetId(9));

    // Assess
    expect([...numbers].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(other).toBe(1);
  });

  it("gives a retried commit of the latest change set its number again, and the next one the next", async () => {
    // Prepare
    const store = createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    const first = await store.assignSequence(SUBJECT, changeSetId(1));

    // Act
    const retries = await Promise.all([
      store.assignSequence(SUBJECT, changeSetId(1)),
      store.assignSequence(SUBJECT, changeSetId(1)),
    ]);
    const next = await store.assignSequence(SUBJECT, changeSetId(2));

    // Assess
    expect(first).toBe(1);
    expect(retries).toEqual([1, 1]);
    expect(next).toBe(2);
  });
});
