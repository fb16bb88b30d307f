import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordDrift } from "#shared/compare/record-and-notify";
import type { EmbeddedStack } from "#shared/local/embedded-stack";
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
    await recordDrift(deps, { ...input, options: { ...input.options, publish: false } });
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
});
