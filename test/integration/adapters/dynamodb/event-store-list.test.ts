import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import {
  catalogue,
  HOSTS,
  NOW,
  observation,
  recordInput,
  steadyState,
} from "#test/helpers/verdict-fixtures";

describe("listing committed change sets (EventQueries.listChangeSets)", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  const store = () =>
    createDynamoEventStore({ documents: stack.clients.documents, tableName: stack.tableName });

  /** run-1 adds an IP to the pinned host; run-2, two hours later, one to the rotating host. */
  async function recordTwoRuns(): Promise<void> {
    const deps = notifyDeps(stack);
    await judgeDrift(
      deps,
      recordInput(
        "run-1",
        0,
        steadyState(
          observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
        ),
      ),
    );
    await judgeDrift(
      deps,
      recordInput(
        "run-2",
        2,
        steadyState(
          observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.2"] }),
        ),
      ),
    );
  }

  it("returns every committed change set with its events, oldest first, and nothing else of the table", async () => {
    // Prepare: two runs with changes; the second also keeps the first run's condition standing
    await recordTwoRuns();

    // Act
    const changeSets = await store().listChangeSets();

    // Assess
    expect(changeSets.map((c) => [c.runId, c.subject.key, c.sequence, c.state])).toEqual([
      ["run-1", `endpoint:${endpointIdOf(HOSTS.pinned)}`, 1, "published"],
      ["run-2", `endpoint:${endpointIdOf(HOSTS.rotating)}`, 1, "published"],
    ]);
    expect(changeSets[0]?.events.map((e) => [e.type, e.added])).toEqual([
      ["ip-added", ["3.10.94.200"]],
    ]);
    expect(changeSets[1]?.events.map((e) => [e.type, e.added])).toEqual([
      ["ip-added", ["162.159.200.2"]],
    ]);
    expect(changeSets[0]?.createdAt).toBe(NOW.toISOString());
  });

  it("keeps only the change sets committed at or after `since`", async () => {
    // Prepare
    await recordTwoRuns();
    const secondRunAt = new Date(NOW.getTime() + 2 * 3_600_000).toISOString();

    // Act
    const atSecond = await store().listChangeSets({ since: secondRunAt });
    const afterBoth = await store().listChangeSets({ since: "2030-01-01T00:00:00Z" });

    // Assess
    expect(atSecond.map((c) => c.runId)).toEqual(["run-2"]);
    expect(afterBoth).toEqual([]);
  });

  it("returns nothing for a table without change sets", async () => {
    expect(await store().listChangeSets()).toEqual([]);
  });
});

function endpointIdOf(hostname: string): string {
  const endpoint = catalogue.endpoints.find((e) => e.hostname === hostname);
  if (endpoint === undefined) throw new Error(`${hostname} is not in the test catalogue`);
  return endpoint.id;
}
