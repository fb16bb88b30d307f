import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { saveInboxMessages, writeThroughNotifier } from "#shared/adapters/local/inbox";
import { judgeDrift } from "#shared/detect/judge-drift";
import type { Notifier } from "#shared/notify/ports";
import { publishPendingEvents } from "#shared/notify/publish-pending";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

/**
 * The local run's notifier writes each notification SNS accepted to the notifications folder
 * before `publish` returns: the fauxqs inbox lives in memory, and a run killed after the change
 * set is marked published must still have left the message on disk.
 */

describe("local notifier: notifications written through to the state directory", () => {
  let stack: EmbeddedStack;
  let scratch: string;
  beforeEach(async () => {
    stack = await startTestStack();
    scratch = await mkdtemp(join(tmpdir(), "driftwatch-write-through-"));
  });
  afterEach(async () => {
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  /** One new address for the pinned host, committed by run `runId`. */
  function oneChange(runId: string) {
    return recordInput(
      runId,
      0,
      steadyState(observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] })),
    );
  }

  async function filesIn(folder: string): Promise<Map<string, string>> {
    const names = (await readdir(folder).catch(() => [])).sort();
    return new Map(
      await Promise.all(
        names.map(async (name) => [name, await readFile(join(folder, name), "utf8")] as const),
      ),
    );
  }

  it("leaves the .json and .email.txt on disk when publish returns, as the inbox save names and writes them", async () => {
    // Prepare
    const folder = join(scratch, "notifications");
    const deps = notifyDeps(stack, (sns) => writeThroughNotifier(sns, folder));

    // Act: the stack is never stopped, so nothing is saved at its end
    const result = await judgeDrift(deps, oneChange("run-1"));
    const written = await filesIn(folder);
    const inboxFolder = join(scratch, "inbox");
    await saveInboxMessages(stack.clients.sqs, stack.inboxQueueUrl, inboxFolder);

    // Assess
    expect(result.published).toBe(1);
    expect([...written.keys()].map((name) => name.replace(/^.*\./, ""))).toEqual(["txt", "json"]);
    expect(written).toEqual(await filesIn(inboxFolder));
    const message = JSON.parse([...written.values()][1] ?? "") as { runId: string };
    expect(message.runId).toBe("run-1");
  });

  it("has the message on disk when the process dies after SNS accepted it, and a retry rewrites the same files", async () => {
    // Prepare: the publisher "dies" (throws) once the local notifier returned, before the change
    // set is marked published
    const folder = join(scratch, "notifications");
    const local = (sns: Notifier) => writeThroughNotifier(sns, folder);
    const dying: Notifier = {
      async publish(notification) {
        await local(notifyDeps(stack).notifier).publish(notification);
        throw new Error("killed after SNS accepted the message");
      },
    };
    const crashed = await judgeDrift({ ...notifyDeps(stack), notifier: dying }, oneChange("run-1"));
    const afterCrash = await filesIn(folder);

    // Act: the next run publishes the change set left pending
    const retry = await publishPendingEvents(notifyDeps(stack, local), { now: new Date() });
    const afterRetry = await filesIn(folder);

    // Assess
    expect(crashed.publishFailures).toHaveLength(1);
    expect(afterCrash.size).toBe(2);
    expect(retry).toMatchObject({ published: 1, changeSets: 1, failed: [] });
    expect(afterRetry).toEqual(afterCrash);
    expect((await readdir(folder)).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
