import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { NotificationTooLargeError } from "#shared/notify/errors";
import type { EventStore, Notifier } from "#shared/notify/ports";
import { publishPendingEvents } from "#shared/notify/publish-pending";
import { expectValidNotifications } from "#test/helpers/notify-schema";
import { drainQueue, notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, NOW, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

/**
 * Faults injected at the adapter boundary between commit and publish: the notify path must
 * deliver every committed change set, in sequence order per subject, and (but for the documented
 * crash window) once.
 */

const PINNED = "endpoint:appliance-online-help/clearswifhelp.clearswift.com";

/** A notifier that fails while `failing` says so (an SNS outage or throttling). */
function flaky(failing: (subjectKey: string) => boolean) {
  let failures = 0;
  const wrap = (notifier: Notifier): Notifier => ({
    async publish(notification) {
      if (failing(notification.body.subject.key)) {
        failures++;
        throw Object.assign(new Error("Service Unavailable"), { name: "InternalErrorException" });
      }
      return notifier.publish(notification);
    },
  });
  return { wrap, failures: () => failures };
}

describe("fault: SNS fails between commit and publish", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("keeps a failed change set pending and delivers it once on the next run", async () => {
    // Prepare: SNS rejects the pinned endpoint's change set during the first run only
    let outage = true;
    const sns = flaky((subject) => outage && subject === PINNED);
    const deps = notifyDeps(stack, sns.wrap);
    const changes = recordInput(
      "run-1",
      0,
      steadyState(
        observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
        observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"], entered: ["41.92.10.21"] }),
      ),
    );

    // Act
    const first = await judgeDrift(deps, changes);
    const duringOutage = await drainQueue(stack, stack.inboxQueueUrl);
    outage = false;
    const unchanged = steadyState(
      observation(HOSTS.pinned, { active: ["3.10.94.193", "3.10.94.200"] }),
      observation(HOSTS.hostnameOnly, { active: ["41.92.10.20", "41.92.10.21"] }),
    );
    const next = await judgeDrift(deps, recordInput("run-2", 0.25, unchanged));
    const afterOutage = await drainQueue(stack, stack.inboxQueueUrl);
    const later = await judgeDrift(deps, recordInput("run-3", 0.5, unchanged));
    const finally_ = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(sns.failures()).toBe(1);
    expect(first.publishFailures.map((f) => f.subjectKey)).toEqual([PINNED]);
    expect(first.committed).toBe(2);
    expect(duringOutage.map((d) => d.notification.subject.key)).toEqual([
      "endpoint:swisssign-mpki-interface/ra.swisssign.net",
    ]);
    expect(next.committed).toBe(0);
    expect(next.published).toBe(1);
    expect(afterOutage.map((d) => [d.notification.subject.key, d.notification.runId])).toEqual([
      [PINNED, "run-1"],
    ]);
    expect(afterOutage[0]?.notification.events.map((e) => e.added)).toEqual([["3.10.94.200"]]);
    expect(later.published).toBe(0);
    expect(finally_).toEqual([]);
    expectValidNotifications([...duringOutage, ...afterOutage].map((d) => d.notification));
  });

  it("holds back a subject's later change sets until the failed one is delivered", async () => {
    // Prepare: run 1's change for the pinned host fails; run 2 brings another change for it
    let outage = true;
    const deps = notifyDeps(stack, flaky((subject) => outage && subject === PINNED).wrap);
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
    const second = recordInput(
      "run-2",
      1,
      steadyState(
        observation(HOSTS.pinned, {
          active: ["3.10.94.193", "3.10.94.200"],
          entered: ["3.10.94.201"],
        }),
      ),
    );

    // Act
    const stillDown = await judgeDrift(deps, second);
    const whileDown = await drainQueue(stack, stack.inboxQueueUrl);
    outage = false;
    const sweep = await publishPendingEvents(deps, {
      now: new Date(NOW.getTime() + 2 * 3_600_000),
    });
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(stillDown.publishFailures).toHaveLength(1);
    expect(whileDown.filter((d) => d.notification.subject.key === PINNED)).toEqual([]);
    expect(sweep).toMatchObject({ published: 2, changeSets: 2, failed: [] });
    expect(
      delivered.map((d) => [d.notification.sequence, d.notification.events[0]?.added]),
    ).toEqual([
      [1, ["3.10.94.200"]],
      [2, ["3.10.94.201"]],
    ]);
  });

  it("re-sends with the same eventId and bytes when the process dies after SNS accepted the message", async () => {
    // Prepare: SNS accepts the message, then the publisher dies before marking it
    let crash = true;
    const deps = notifyDeps(stack, (notifier) => ({
      async publish(notification) {
        const sent = await notifier.publish(notification);
        if (crash) throw new Error("Lambda timed out after SNS accepted the message");
        return sent;
      },
    }));
    const changes = recordInput(
      "run-1",
      0,
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
    );

    // Act
    const first = await judgeDrift(deps, changes);
    crash = false;
    const retry = await publishPendingEvents(deps, { now: new Date(NOW.getTime() + 60_000) });
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);
    const nothingLeft = await publishPendingEvents(deps, {
      now: new Date(NOW.getTime() + 120_000),
    });

    // Assess: at-least-once in this window; consumers drop the second copy by eventId
    expect(first.publishFailures).toHaveLength(1);
    expect(retry.published).toBe(1);
    expect(delivered).toHaveLength(2);
    expect(delivered[1]?.notification.eventId).toBe(delivered[0]?.notification.eventId);
    expect(delivered[1]?.body).toBe(delivered[0]?.body);
    expect(new Set(delivered.map((d) => d.notification.eventId)).size).toBe(1);
    expect(nothingLeft.published).toBe(0);
  });

  it("finishes a change set whose commit crashed half-way when the run is retried, and sends it whole once", async () => {
    // Prepare: the process dies after the first event record of a two-event change set
    const deps = notifyDeps(stack);
    let crashAfter = 1;
    const crashing: EventStore = {
      ...deps.events,
      async putEventRecord(record) {
        if (crashAfter-- === 0) throw new Error("process killed mid-commit");
        return deps.events.putEventRecord(record);
      },
    };
    const changes = recordInput(
      "run-1",
      0,
      steadyState(
        observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["203.0.113.9"] }),
      ),
    );

    // Act
    const crashed = await judgeDrift({ ...deps, events: crashing }, changes).catch((e: Error) => e);
    const beforeRetry = await drainQueue(stack, stack.inboxQueueUrl);
    const retry = await judgeDrift(deps, changes);
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(crashed).toBeInstanceOf(Error);
    expect(beforeRetry).toEqual([]);
    expect(retry.committed).toBe(1);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.notification.eventTypes).toEqual([
      "ip-added",
      "ip-outside-published-ranges",
    ]);
    expect(delivered[0]?.notification.events).toHaveLength(2);
    expect(delivered[0]?.notification.sequence).toBe(1);
  });

  it("keeps a change set too large for any SNS message pending, naming its size, and sends it once when it fits", async () => {
    // Prepare: two subjects' changes committed without publishing
    const deps = notifyDeps(stack);
    const changes = recordInput(
      "run-1",
      0,
      steadyState(
        observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
        observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"], entered: ["41.92.10.21"] }),
      ),
    );
    const committed = await judgeDrift(deps, {
      ...changes,
      options: { ...changes.options, publish: false },
    });

    // Act: a limit no single event fits in, then SNS's own
    const tooSmall = await publishPendingEvents(deps, {
      now: new Date(NOW.getTime() + 60_000),
      maxBytes: 2_048,
    });
    const whileTooLarge = await drainQueue(stack, stack.inboxQueueUrl);
    const fits = await publishPendingEvents(deps, { now: new Date(NOW.getTime() + 120_000) });
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);
    const again = await publishPendingEvents(deps, { now: new Date(NOW.getTime() + 180_000) });

    // Assess
    expect(committed.committed).toBe(2);
    expect(tooSmall.published).toBe(0);
    expect(tooSmall.failed).toHaveLength(2);
    for (const failure of tooSmall.failed) {
      expect(failure.error).toBeInstanceOf(NotificationTooLargeError);
      expect(failure.error.message).toContain(failure.changeSetId);
      expect((failure.error as NotificationTooLargeError).bytes).toBeGreaterThan(2_048);
    }
    expect(tooSmall.oldestPendingAgeSeconds).toBeGreaterThan(0);
    expect(whileTooLarge).toEqual([]);
    expect(fits).toMatchObject({ published: 2, changeSets: 2, failed: [] });
    expect(delivered.map((d) => d.notification.subject.key).sort()).toEqual([
      "endpoint:appliance-online-help/clearswifhelp.clearswift.com",
      "endpoint:swisssign-mpki-interface/ra.swisssign.net",
    ]);
    expect(again.published).toBe(0);
    expectValidNotifications(delivered.map((d) => d.notification));
  });
});
