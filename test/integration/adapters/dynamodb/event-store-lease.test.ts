import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, NOW, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

const LEASE_MS = 60_000;
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe("the publishing lease of a change set (DynamoDB event store)", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  async function committedChangeSet() {
    const deps = notifyDeps(stack);
    const input = recordInput(
      "run-1",
      0,
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
    );
    await judgeDrift(deps, { ...input, options: { ...input.options, publish: false } });
    const [record] = await deps.events.listUnpublished();
    if (record === undefined) throw new Error("nothing committed");
    return { store: deps.events, changeSetId: record.changeSetId };
  }

  it("lets an attempt whose lease expired neither renew nor release the lease another took over", async () => {
    // Prepare: attempt 1's lease expires and attempt 2 takes the change set
    const { store, changeSetId } = await committedChangeSet();
    const first = await store.beginPublish(changeSetId, at(0), LEASE_MS);
    const second = await store.beginPublish(changeSetId, at(61), LEASE_MS);
    if (first.status !== "acquired" || second.status !== "acquired") throw new Error("no lease");

    // Act
    const renewed = await store.renewPublish(changeSetId, first.record.attempts, at(62), LEASE_MS);
    await store.abortPublish(changeSetId, first.record.attempts);
    const third = await store.beginPublish(changeSetId, at(63), LEASE_MS);

    // Assess
    expect(renewed).toBe(false);
    expect(third.status).toBe("busy");
    expect(await store.renewPublish(changeSetId, second.record.attempts, at(64), LEASE_MS)).toBe(
      true,
    );
  });

  it("releases its own lease on abort so the next publisher can retry at once", async () => {
    // Prepare
    const { store, changeSetId } = await committedChangeSet();
    const first = await store.beginPublish(changeSetId, at(0), LEASE_MS);
    if (first.status !== "acquired") throw new Error("no lease");

    // Act
    await store.abortPublish(changeSetId, first.record.attempts);
    const retry = await store.beginPublish(changeSetId, at(1), LEASE_MS);

    // Assess
    expect(retry.status).toBe("acquired");
  });
});
