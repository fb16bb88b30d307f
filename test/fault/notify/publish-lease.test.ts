import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import type { Notifier } from "#shared/notify/ports";
import { type PublishResult, publishPendingEvents } from "#shared/notify/publish-pending";
import { drainQueue, notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, NOW, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

/**
 * Two publishers at once (the stream trigger, the sweep, a CLI cycle) without any crash: the
 * publishing lease must keep the second one off a change set the first is sending, so a
 * subscriber gets it once.
 */

describe("fault: concurrent publishers and the publishing lease", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  /** Commits one change set for the pinned host (run-1, at NOW) without publishing it. */
  async function commitOneChange() {
    const deps = notifyDeps(stack);
    const input = recordInput(
      "run-1",
      0,
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
    );
    await judgeDrift(deps, { ...input, options: { ...input.options, publish: false } });
    return deps;
  }

  it("keeps a concurrent publisher off a change set while a cycle judging an older run sends it", async () => {
    // Prepare: the cycle publishes with its run's time (NOW), two hours behind the wall clock;
    // the stream trigger runs while the cycle's SNS call is in flight
    const deps = await commitOneChange();
    const wallClock = new Date(NOW.getTime() + 2 * 3_600_000);
    const streamTime = new Date(wallClock.getTime() + 5_000);
    let concurrent: PublishResult | undefined;
    const slowSns: Notifier = {
      async publish(notification) {
        concurrent ??= await publishPendingEvents(deps, {
          now: streamTime,
          clock: () => streamTime,
        });
        return deps.notifier.publish(notification);
      },
    };

    // Act
    const cycle = await publishPendingEvents(
      { ...deps, notifier: slowSns },
      { now: NOW, clock: () => wallClock },
    );
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(cycle).toMatchObject({ published: 1, changeSets: 1, failed: [] });
    expect(concurrent).toMatchObject({ published: 0, changeSets: 0, failed: [] });
    expect(delivered).toHaveLength(1);
  });

  it("keeps the lease of a change set whose parts together take longer than the lease", async () => {
    // Prepare: 300 new addresses, split into parts; each SNS call takes 40 s of a 60 s lease, and
    // the sweep starts while the second part is in flight
    const deps = notifyDeps(stack);
    const entered = Array.from({ length: 300 }, (_, i) => `100.64.${i >> 8}.${i & 255}`);
    const input = recordInput(
      "run-1",
      0,
      steadyState(observation(HOSTS.rotating, { active: ["162.159.200.1"], entered })),
    );
    await judgeDrift(deps, { ...input, options: { ...input.options, publish: false } });
    const maxBytes = 24 * 1024;
    let wall = new Date(NOW.getTime() + 60_000);
    let calls = 0;
    let concurrent: PublishResult | undefined;
    const slowSns: Notifier = {
      async publish(notification) {
        calls++;
        wall = new Date(wall.getTime() + 40_000);
        if (calls === 2) {
          concurrent = await publishPendingEvents(deps, { now: wall, clock: () => wall, maxBytes });
        }
        return deps.notifier.publish(notification);
      },
    };

    // Act
    const cycle = await publishPendingEvents(
      { ...deps, notifier: slowSns },
      { now: NOW, clock: () => wall, maxBytes },
    );
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(cycle.published).toBeGreaterThan(2);
    expect(cycle.failed).toEqual([]);
    expect(concurrent).toMatchObject({ published: 0, changeSets: 0, failed: [] });
    const parts = delivered.map((d) => d.notification.part);
    expect(parts).toHaveLength(cycle.published);
    expect(new Set(parts).size).toBe(parts.length);
  });
});
