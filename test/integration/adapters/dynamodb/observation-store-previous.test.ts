import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { AFTER_EVERY_RUN, type DnsRun } from "#shared/observe/dns/observation-store";
import { recordingObservationStore } from "#test/helpers/recording-observation-store";
import { startTestStack } from "#test/helpers/stack";
import { observation } from "#test/helpers/verdict-fixtures";

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const recordingStore = (options: { historyRetentionDays?: number } = {}) =>
  recordingObservationStore(stack, options);

const HOSTS = Array.from({ length: 120 }, (_, i) => `host-${String(i).padStart(3, "0")}.example`);

/** A run that begins, saves one observation per hostname (IP `ip`), and optionally is judged. */
async function recordRun(
  runId: string,
  observedAt: string,
  hostnames: readonly string[],
  ip: string,
  judged: boolean,
): Promise<DnsRun> {
  const { store } = recordingStore();
  const run = { runId, observedAt, hostnames: [...hostnames] };
  await store.beginRun(run);
  await Promise.all(
    hostnames.map((hostname) =>
      store.saveObservation(observation(hostname, { runId, observedAt, active: [ip] })),
    ),
  );
  if (judged) await store.markRunJudged(runId);
  return run;
}

const ipsOf = (found: Map<string, { active: { ip: string }[]; runId: string }>) =>
  new Set([...found.values()].map((o) => `${o.runId} ${o.active.map((a) => a.ip).join(",")}`));

describe("the observation store: the state before a run", () => {
  it("reads the newest judged run's items in batches, not one query per hostname", async () => {
    // Prepare
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", true);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS, "192.0.2.2", true);
    const { store, commands } = recordingStore();

    // Act
    const previous = await store.previousObservations(HOSTS, {
      runId: "r3",
      observedAt: "2026-08-22T10:30:00.000Z",
    });

    // Assess
    expect(previous.size).toBe(120);
    expect(ipsOf(previous)).toEqual(new Set(["r2 192.0.2.2"]));
    // the last judged run, the unjudged runs after it, its confirmations (none)
    expect(commands.filter((c) => c === "QueryCommand")).toHaveLength(3);
    expect(commands.filter((c) => c === "BatchGetCommand")).toHaveLength(2);
  });

  it("queries the hostnames the judged run did not save, and finds their older state", async () => {
    // Prepare: r2 saved only the first 100 (cut by its deadline); 2 hostnames are new
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", true);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS.slice(0, 100), "192.0.2.2", true);
    const { store, commands } = recordingStore();
    const asked = [...HOSTS, "new-1.example", "new-2.example"];

    // Act
    const previous = await store.previousObservations(asked, {
      runId: "r3",
      observedAt: "2026-08-22T10:30:00.000Z",
    });

    // Assess
    expect(previous.size).toBe(120);
    expect(previous.get("host-099.example")?.runId).toBe("r2");
    expect(previous.get("host-100.example")?.runId).toBe("r1");
    expect(previous.has("new-1.example")).toBe(false);
    // the last judged run, the unjudged runs after it, r2's confirmations, then each of the
    // 22 hostnames r2 has no observation of
    expect(commands.filter((c) => c === "QueryCommand")).toHaveLength(1 + 1 + 1 + 22);
  });

  it("reads every hostname by query when a run between the judged one and this run is unjudged", async () => {
    // Prepare: r2 died after saving, before the compare step (still in the unjudged index)
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", true);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS.slice(0, 10), "192.0.2.2", false);
    const { store } = recordingStore();

    // Act
    const previous = await store.previousObservations(HOSTS, {
      runId: "r3",
      observedAt: "2026-08-22T10:30:00.000Z",
    });

    // Assess: r2's items are the newest before r3 for the hostnames it saved
    expect(previous.get("host-000.example")?.runId).toBe("r2");
    expect(previous.get("host-010.example")?.runId).toBe("r1");
  });

  it("judges an older run's backlog from the state before it, not from the newest judged run", async () => {
    // Prepare: r2 is unjudged, r3 was judged after it
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", true);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS, "192.0.2.2", false);
    await recordRun("r3", "2026-08-22T10:30:00.000Z", HOSTS, "192.0.2.3", true);
    const { store } = recordingStore();

    // Act
    const previous = await store.previousObservations(HOSTS, {
      runId: "r2",
      observedAt: "2026-08-22T10:15:00.000Z",
    });

    // Assess
    expect(ipsOf(previous)).toEqual(new Set(["r1 192.0.2.1"]));
  });

  it("keeps the newest judged run when an older one is marked judged after it", async () => {
    // Prepare
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", false);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS, "192.0.2.2", true);
    const { store } = recordingStore();
    await store.markRunJudged("r1");

    // Act
    const previous = await store.previousObservations(HOSTS, {
      runId: "r3",
      observedAt: "2026-08-22T10:30:00.000Z",
    });

    // Assess
    expect(ipsOf(previous)).toEqual(new Set(["r2 192.0.2.2"]));
  });

  it("reads the current state after every run in batches: what latestObservations answers", async () => {
    // Prepare: r2 saved only the first 100 (cut by its deadline); r3 is in flight (unjudged)
    // and saved 10 so far; 2 hostnames were never observed
    await recordRun("r1", "2026-08-22T10:00:00.000Z", HOSTS, "192.0.2.1", true);
    await recordRun("r2", "2026-08-22T10:15:00.000Z", HOSTS.slice(0, 100), "192.0.2.2", true);
    await recordRun("r3", "2026-08-22T10:30:00.000Z", HOSTS.slice(0, 10), "192.0.2.3", false);
    const asked = [...HOSTS, "new-1.example", "new-2.example"];
    const latest = await recordingStore().store.latestObservations(asked);
    const { store, commands } = recordingStore();

    // Act
    const current = await store.previousObservations(asked, AFTER_EVERY_RUN);

    // Assess: the same states; one query per hostname only for the 22 no saved run lists
    expect(current).toEqual(latest);
    expect(ipsOf(current)).toEqual(new Set(["r3 192.0.2.3", "r2 192.0.2.2", "r1 192.0.2.1"]));
    expect(commands.filter((c) => c === "QueryCommand").length).toBeLessThan(30);
  });
});
