import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RecordDriftInput, recordDrift } from "#shared/compare/record-and-notify";
import type { HostObservation } from "#shared/domain/observation";
import type { EmbeddedStack } from "#shared/local/embedded-stack";
import { createDynamoEventStore } from "#shared/stores/dynamodb/event-store";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { catalogue, feeds, HOSTS, NOW, OPTIONS, observation } from "#test/helpers/verdict-fixtures";

const POOL_IPS = ["185.155.104.24", "70.33.161.213"];

/** Every host as its policy expects, with the given hosts replaced. */
function hosts(...replacements: HostObservation[]): HostObservation[] {
  const steady = [
    observation(HOSTS.pinned, { active: ["3.10.94.193"] }),
    observation(HOSTS.pool1, { active: POOL_IPS }),
    observation(HOSTS.pool2, { active: POOL_IPS }),
    observation(HOSTS.cloudfront, { active: ["13.32.1.10"] }),
    observation(HOSTS.aws, { active: ["3.8.1.20"] }),
    observation(HOSTS.rotating, { active: ["162.159.200.1"] }),
    observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"] }),
  ];
  return steady.map((o) => replacements.find((r) => r.hostname === o.hostname) ?? o);
}

function run(runId: string, hoursLater: number, observations: HostObservation[]): RecordDriftInput {
  return {
    catalogue,
    observations: observations.map((o) => ({ ...o, runId })),
    feeds: feeds(),
    now: new Date(NOW.getTime() + hoursLater * 3_600_000),
    runId,
    options: OPTIONS,
  };
}

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

  it("returns every committed change set with its events, oldest first, and nothing else of the table", async () => {
    // Prepare: two runs with changes; the second also keeps the first run's condition standing
    const deps = notifyDeps(stack);
    await recordDrift(
      deps,
      run(
        "run-1",
        0,
        hosts(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
      ),
    );
    await recordDrift(
      deps,
      run(
        "run-2",
        2,
        hosts(
          observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.2"] }),
        ),
      ),
    );

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
    const deps = notifyDeps(stack);
    await recordDrift(
      deps,
      run(
        "run-1",
        0,
        hosts(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
      ),
    );
    await recordDrift(
      deps,
      run(
        "run-2",
        2,
        hosts(
          observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.2"] }),
        ),
      ),
    );
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
