import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unpublishedChangeSets } from "#cli/commands/detect";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { publishPendingEvents } from "#shared/notify/publish-pending";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

/**
 * A run killed while publishing leaves its change set `publishing` under a 60 s lease. A later
 * run within the lease leaves it alone; it is still pending, and `detect` must say so.
 */

describe("fault: a change set held under a killed run's publishing lease", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("counts as pending for a run that publishes within the lease", async () => {
    // Prepare: run-1 committed a change and took its lease, then was killed
    const deps = notifyDeps(stack);
    const input = recordInput(
      "run-1",
      0,
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
    );
    const committed = await judgeDrift(deps, {
      ...input,
      options: { ...input.options, publish: false },
    });
    const changeSetId = committed.changeSets[0]?.changeSetId ?? "";
    const lease = await deps.events.beginPublish(changeSetId, new Date(), 60_000);

    // Act: the next run publishes what is pending
    const next = await publishPendingEvents(deps, { now: new Date() });
    const pending = await unpublishedChangeSets(deps.events);

    // Assess: not a failure (the report counted only those), yet still pending
    expect(lease.status).toBe("acquired");
    expect(next).toMatchObject({ published: 0, failed: [] });
    expect(pending).toBe(1);
  });
});
