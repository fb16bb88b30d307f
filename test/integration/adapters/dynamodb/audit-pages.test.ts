import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { InvalidCursorError } from "#shared/adapters/dynamodb/page-cursor";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { eachPage } from "#shared/query/pages";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, NOW, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

describe("the paged reads of the audit queries (historyPage, committedChangeSets), on dynalite", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  const events = () =>
    createDynamoEventStore({ documents: stack.clients.documents, tableName: stack.tableName });
  const observations = () =>
    createDynamoObservationStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
  const hour = (n: number) => new Date(NOW.getTime() + n * 3_600_000).toISOString();

  it("pages a hostname's runs oldest first within the range, resuming from the cursor", async () => {
    // Prepare: four runs, an hour apart
    for (const n of [0, 1, 2, 3]) {
      await observations().saveObservation(
        observation(HOSTS.pinned, {
          observedAt: hour(n),
          runId: `run-${n}`,
          active: ["3.10.94.193"],
        }),
      );
    }

    // Act
    const pages: string[][] = [];
    for await (const page of eachPage((cursor) =>
      observations().historyPage(HOSTS.pinned, {
        from: hour(1),
        to: hour(3),
        limit: 2,
        ...(cursor !== undefined ? { cursor } : {}),
      }),
    )) {
      pages.push(page.map((run) => run.runId));
    }

    // Assess
    expect(pages.flat()).toEqual(["run-1", "run-2", "run-3"]);
    expect(pages[0]).toEqual(["run-1", "run-2"]);
  });

  it("scans the committed change sets page by page, only those committed in the range", async () => {
    // Prepare: run-1 at NOW, run-2 two hours later
    const deps = notifyDeps(stack);
    await judgeDrift(
      deps,
      recordInput("run-1", 0, steadyState(observation(HOSTS.pinned, { entered: ["3.10.94.200"] }))),
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

    // Act: pages of 3 items (most of the table is not change sets: pages may be empty)
    const read = async (range: { since?: string; until?: string }) => {
      const runIds: string[] = [];
      let pages = 0;
      for await (const page of eachPage((cursor) =>
        events().committedChangeSets({
          ...range,
          limit: 3,
          ...(cursor !== undefined ? { cursor } : {}),
        }),
      )) {
        pages += 1;
        runIds.push(...page.map((changeSet) => changeSet.runId));
      }
      return { runIds: runIds.sort(), pages };
    };
    const all = await read({});
    const first = await read({ until: hour(1) });
    const second = await read({ since: hour(1) });

    // Assess
    expect(all.runIds).toEqual(["run-1", "run-2"]);
    expect(all.pages).toBeGreaterThan(1);
    expect(first.runIds).toEqual(["run-1"]);
    expect(second.runIds).toEqual(["run-2"]);
  });

  it("refuses a cursor it did not give", async () => {
    await expect(
      events().committedChangeSets({ cursor: "bm90LWEta2V5", limit: 10 }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(
      observations().historyPage(HOSTS.pinned, { cursor: "%%%", limit: 10 }),
    ).rejects.toThrow(/is not a cursor a previous page returned/);
  });
});
