import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoAllowlistStore } from "#shared/adapters/dynamodb/allowlist-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { AllowlistState } from "#shared/allowlists/ports";
import { startTestStack } from "#test/helpers/stack";

function state(group: string, i: number): AllowlistState {
  return {
    group,
    contentSha256: `${i}`.padStart(64, "0"),
    generatedAt: "2026-08-21T14:00:00.000Z",
    addresses: i,
    ...(i % 2 === 0 ? { domains: i + 1 } : {}),
    keys: { txt: `allowlists/${group}.txt`, json: `allowlists/${group}.json` },
    updatedAt: "2026-08-21T14:00:00.000Z",
  };
}

describe("DynamoDB allowlist state store", () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("reads the states of 250 groups in batches: each as put, the groups without one absent", async () => {
    // Prepare
    const store = createDynamoAllowlistStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    const states = Array.from({ length: 250 }, (_, i) => state(`group-${i}`, i));
    for (const s of states) expect(await store.put(s, null)).toBe(true);

    // Act
    const found = await store.getMany([...states.map((s) => s.group), "never-written", "group-7"]);

    // Assess
    expect(found.size).toBe(250);
    expect(found.has("never-written")).toBe(false);
    for (const s of states) expect(found.get(s.group)).toEqual(s);
    expect(found.get("group-7")).toEqual(await store.get("group-7"));
  });

  it("reads nothing for no groups", async () => {
    const store = createDynamoAllowlistStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    expect((await store.getMany([])).size).toBe(0);
  });
});
