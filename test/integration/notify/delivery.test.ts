import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { type JudgeDriftInput, judgeDrift } from "#shared/detect/judge-drift";
import { publishPendingEvents } from "#shared/notify/publish-pending";
import { expectValidNotifications } from "#test/helpers/notify-schema";
import { drainQueue, notifyDeps, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import {
  HOSTS,
  NOW,
  OPTIONS,
  observation,
  recordInput,
  steadyState,
} from "#test/helpers/verdict-fixtures";

/** A run with changes in several groups and severities. */
function eventfulRun(): JudgeDriftInput {
  return recordInput(
    "run-1",
    0,
    steadyState(
      // av-update-mirrors, high: a retired mirror is back, and an IP outside the pool
      observation(HOSTS.pool1, { active: ["185.155.104.24"], entered: ["184.72.245.1"] }),
      observation(HOSTS.pool2, { active: ["185.155.104.24"], entered: ["185.155.104.99"] }),
      // online-help, high
      observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
      // ntp, medium
      observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.2"] }),
    ),
  );
}

describe("notifications through SNS (fauxqs)", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("delivers to a filtered subscription exactly the AV mirror changes of high severity", async () => {
    // Prepare
    const avHigh = subscribeQueue(stack, "av-mirrors-high", {
      group: ["av-update-mirrors"],
      severity: ["high"],
    });
    const deps = notifyDeps(stack);

    // Act
    const result = await judgeDrift(deps, eventfulRun());
    const filtered = await drainQueue(stack, avHigh);
    const everything = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(filtered.map((d) => [d.notification.subject.key, d.notification.eventTypes])).toEqual([
      ["endpoint:avira-av-updates/aav-update-1.clearswift.net", ["retired-ip-seen"]],
      ["endpoint:avira-av-updates/aav-update-2.clearswift.net", ["ip-added"]],
    ]);
    expect(filtered.map((d) => d.attributes.group?.StringValue)).toEqual([
      "av-update-mirrors",
      "av-update-mirrors",
    ]);
    expect(everything.map((d) => [d.notification.subject.key, d.notification.severity])).toEqual([
      ["endpoint:appliance-online-help/clearswifhelp.clearswift.com", "high"],
      ["endpoint:avira-av-updates/aav-update-1.clearswift.net", "high"],
      ["endpoint:avira-av-updates/aav-update-2.clearswift.net", "high"],
      ["endpoint:ntp-server/0.rhel.pool.ntp.org", "medium"],
      ["pool:av-update-mirrors:av-update-mirrors", "low"],
    ]);
    expect(result.published).toBe(5);
    expect(result.publishFailures).toEqual([]);
    expectValidNotifications([...filtered, ...everything].map((d) => d.notification));
  });

  it("sends nothing when nothing changed, and does not repeat a standing condition", async () => {
    // Prepare: run 1 notifies, among others, that pool IP 70.33.161.213 is unused
    const deps = notifyDeps(stack);
    await judgeDrift(deps, eventfulRun());
    await drainQueue(stack, stack.inboxQueueUrl);
    const quiet = recordInput(
      "run-2",
      0.25,
      steadyState(
        observation(HOSTS.pool1, { active: ["185.155.104.24", "184.72.245.1"] }),
        observation(HOSTS.pool2, { active: ["185.155.104.24", "185.155.104.99"] }),
        observation(HOSTS.pinned, { active: ["3.10.94.193", "3.10.94.200"] }),
        observation(HOSTS.rotating, { active: ["162.159.200.1", "162.159.200.2"] }),
      ),
    );

    // Act
    const result = await judgeDrift(deps, quiet);
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(result.events.map((e) => e.type)).toEqual(["documented-ip-unused"]);
    expect(result.committed).toBe(0);
    expect(result.published).toBe(0);
    expect(delivered).toEqual([]);
  });

  it("gives a retry of the same run nothing new to send", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, eventfulRun());
    const first = await drainQueue(stack, stack.inboxQueueUrl);

    // Act
    const retry = await judgeDrift(deps, eventfulRun());
    const again = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(first).toHaveLength(5);
    expect(retry.committed).toBe(0);
    expect(retry.published).toBe(0);
    expect(again).toEqual([]);
  });

  it("commits without sending when publishing is left to the publisher function", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    const deferred = { ...eventfulRun(), options: { ...OPTIONS, publish: false } };

    // Act
    const result = await judgeDrift(deps, deferred);
    const beforeSweep = await drainQueue(stack, stack.inboxQueueUrl);
    const sweep = await publishPendingEvents(deps, { now: NOW });
    const afterSweep = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(result).toMatchObject({ committed: 5, published: 0, publishFailures: [] });
    expect(beforeSweep).toEqual([]);
    expect(sweep.published).toBe(5);
    expect(afterSweep).toHaveLength(5);
  });

  it("numbers each endpoint's change sets 1, 2, 3 across runs", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    const pinned = (runId: string, hours: number, facts: Parameters<typeof observation>[1]) =>
      recordInput(runId, hours, steadyState(observation(HOSTS.pinned, facts)));

    // Act
    await judgeDrift(deps, pinned("r1", 0, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }));
    await judgeDrift(deps, pinned("r2", 1, { active: ["3.10.94.193", "3.10.94.200"] }));
    await judgeDrift(deps, pinned("r3", 2, { active: ["3.10.94.193"], left: ["3.10.94.200"] }));
    await judgeDrift(deps, pinned("r4", 3, { active: ["3.10.94.193"], entered: ["3.10.94.201"] }));
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(
      delivered.map((d) => [
        d.notification.sequence,
        d.notification.eventTypes,
        d.notification.runId,
      ]),
    ).toEqual([
      [1, ["ip-added"], "r1"],
      [2, ["ip-removed"], "r3"],
      [3, ["ip-added"], "r4"],
    ]);
  });
});
