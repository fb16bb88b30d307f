import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { ModifyManagedPrefixListCommand } from "@aws-sdk/client-ec2";
import type { SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createSyncPrefixListsHandler,
  PrefixListReconcileError,
} from "#functions/sync-prefix-lists";
import {
  createEc2PrefixLists,
  PREFIX_LIST_GROUP_TAG,
  PREFIX_LIST_STAGE_TAG,
} from "#shared/adapters/ec2/prefix-lists";
import { createS3AllowlistEntries } from "#shared/adapters/s3/allowlist-entries";
import { groupAllowlist } from "#shared/allowlists/build";
import { allowlistKeys, renderAllowlistJson } from "#shared/allowlists/render";
import type { PrefixListLimits } from "#shared/notify/prefix-lists/plan";
import {
  type FakeEc2Faults,
  type FakePrefixList,
  fakePrefixList,
  startFakeEc2,
} from "#test/helpers/ec2-prefix-list-fake";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";
import { allowlistFilesOf, messagesOf, ntpRun, sqsEvent } from "#test/helpers/prefix-list-events";
import { driftInput, HOSTS, NOW, observation } from "#test/helpers/verdict-fixtures";

/**
 * The prefix-list subscriber, end to end in-process: SQS records carrying the messages the real
 * builders make (evaluateDrift → change sets → buildNotifications → the SNS `default` message),
 * the group's allowlist file rendered by the real renderer, and EC2 as a stateful
 * aws-sdk-client-mock (test/helpers/ec2-prefix-list-fake.ts) behind the real adapter.
 */

const STAGE = "prod";
const context = lambdaContext({ functionName: "driftwatch-prod-syncPrefixLists" });
const LIMITS: PrefixListLimits = { allowResize: false, maxEntriesCeiling: 1000 };

/** The bucket: each group's allowlist JSON as the writer renders it. */
function bucketOf(input = ntpRun()) {
  const files = allowlistFilesOf(input);
  return { get: async (key: string) => files.get(key) ?? null, files };
}

const tags = (group: string) => ({
  [PREFIX_LIST_GROUP_TAG]: group,
  [PREFIX_LIST_STAGE_TAG]: STAGE,
});

function setUp(
  lists: FakePrefixList[],
  options: {
    dryRun?: boolean;
    limits?: PrefixListLimits;
    faults?: FakeEc2Faults;
    bucket?: ReturnType<typeof bucketOf>;
  } = {},
) {
  const fake = startFakeEc2(lists, options.faults);
  const output = captureLambdaOutput();
  const sleeps: number[] = [];
  const handler = createSyncPrefixListsHandler({
    prefixLists: createEc2PrefixLists({ ec2: fake.client, stage: STAGE }),
    allowlists: createS3AllowlistEntries(options.bucket ?? bucketOf()),
    options: { dryRun: options.dryRun ?? false, limits: options.limits ?? LIMITS },
    logger: new Logger({ serviceName: "driftwatch-test" }),
    metrics: new Metrics({ namespace: "driftwatch", serviceName: "driftwatch-test" }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { ...fake, output, sleeps, invoke: (event: SQSEvent) => handler(event, context) };
}

function v4List(entries: string[] = [], fields: Partial<Omit<FakePrefixList, "entries">> = {}) {
  return fakePrefixList({ id: "pl-0ntp4", tags: tags("ntp"), entries, ...fields });
}
function v6List(entries: string[] = []) {
  return fakePrefixList({ id: "pl-0ntp6", family: "IPv6", tags: tags("ntp"), entries });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sync-prefix-lists", () => {
  it("brings the group's IPv4 and IPv6 lists to its allowlist, reporting what it applied", async () => {
    // Prepare: a stale v4 list, an empty v6 list, and another group's list it must not touch.
    const v4 = v4List(["162.159.200.1/32", "192.0.2.10/32"]);
    const v6 = v6List();
    const other = fakePrefixList({ id: "pl-0other", tags: tags("product-updates") });
    const { invoke, modifications, output } = setUp([other, v4, v6]);

    // Act
    const response = await invoke(sqsEvent());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect([...v4.entries.keys()].sort()).toEqual(["162.159.200.1/32", "162.159.200.123/32"]);
    expect([...v6.entries.keys()]).toEqual(["2606:4700:f1::123/128"]);
    expect(v4.entries.get("162.159.200.123/32")).toBe("driftwatch ntp");
    expect(other.entries.size).toBe(0);
    expect(modifications.map((m) => [m.PrefixListId, m.CurrentVersion])).toEqual([
      ["pl-0ntp4", 1],
      ["pl-0ntp6", 1],
    ]);
    expect(response.reports).toEqual([
      {
        group: "ntp",
        allowlist: "found",
        dryRun: false,
        lists: [
          expect.objectContaining({
            family: "IPv4",
            prefixListId: "pl-0ntp4",
            status: "applied",
            fromVersion: 1,
            toVersion: 2,
            added: ["162.159.200.123/32"],
            removed: ["192.0.2.10/32"],
            targetEntries: 2,
          }),
          expect.objectContaining({
            family: "IPv6",
            status: "applied",
            added: ["2606:4700:f1::123/128"],
            removed: [],
          }),
        ],
      },
    ]);
    const logged = output.logs().filter((l) => l.message === "prefix list synced");
    expect(logged.map((l) => [l.prefixListId, l.status])).toEqual([
      ["pl-0ntp4", "applied"],
      ["pl-0ntp6", "applied"],
    ]);
    expect(output.metrics()).toMatchObject({
      PrefixListEntriesAdded: [1, 1],
      PrefixListEntriesRemoved: [1, 0],
    });
  });

  it("does nothing on redelivery: the lists already match, no modification is sent", async () => {
    const v4 = v4List();
    const v6 = v6List();
    const { invoke, modifications } = setUp([v4, v6]);
    await invoke(sqsEvent());
    const applied = modifications.length;

    const again = await invoke(sqsEvent());

    expect(applied).toBe(2);
    expect(modifications).toHaveLength(2);
    expect(again.reports[0]?.lists.map((l) => [l.status, l.fromVersion, l.toVersion])).toEqual([
      ["unchanged", 2, 2],
      ["unchanged", 2, 2],
    ]);
  });

  it("reads the SNS envelope too, and syncs a group once for several messages in a batch", async () => {
    const v4 = v4List();
    const { invoke, ec2 } = setUp([v4]);
    const [message] = messagesOf();
    if (message === undefined) throw new Error("no message");

    const response = await invoke(sqsEvent([message, message, message], "envelope"));

    expect(response.batchItemFailures).toEqual([]);
    expect(response.reports).toHaveLength(1);
    expect(response.reports[0]?.lists.map((l) => l.status)).toEqual(["applied", "no-prefix-list"]);
    expect(ec2.commandCalls(ModifyCommand()).length).toBe(1);
  });

  it("re-reads and converges when another writer modified the list after it was read", async () => {
    // Prepare: just before our first modification, someone else adds an entry (version 2).
    const v4 = v4List(["192.0.2.10/32"]);
    let raced = false;
    const { invoke, modifications } = setUp([v4], {
      faults: {
        beforeModify: (list) => {
          if (raced) return;
          raced = true;
          list.entries.set("198.51.100.7/32", "someone else");
          list.version += 1;
        },
      },
    });

    // Act
    const response = await invoke(sqsEvent());

    // Assess: the first attempt (version 1) was refused, the retry was planned on version 2.
    expect(response.batchItemFailures).toEqual([]);
    expect([...v4.entries.keys()].sort()).toEqual(["162.159.200.1/32", "162.159.200.123/32"]);
    expect(modifications.map((m) => m.CurrentVersion)).toEqual([2]);
    expect(modifications[0]?.RemoveEntries?.map((e) => e.Cidr).sort()).toEqual([
      "192.0.2.10/32",
      "198.51.100.7/32",
    ]);
    expect(response.reports[0]?.lists[0]).toMatchObject({
      status: "applied",
      retries: 1,
      fromVersion: 1,
      toVersion: 3,
    });
  });

  it("waits while a modification is in progress, then applies", async () => {
    const v4 = v4List();
    const { invoke, sleeps } = setUp([v4], {
      faults: { describeStates: ["create-in-progress", "modify-in-progress"] },
    });

    const response = await invoke(sqsEvent());

    expect(response.reports[0]?.lists[0]).toMatchObject({ status: "applied", retries: 2 });
    expect(sleeps).toEqual([500, 1000]);
  });

  it("retries throttled calls with backoff, and fails only the records of a group it gave up on", async () => {
    // Prepare: throttled twice (retried), then a second invocation throttled past every retry.
    const v4 = v4List();
    const throttled = setUp([v4], {
      faults: { errors: { Modify: ["RequestLimitExceeded", "RequestLimitExceeded"] } },
    });
    const recovered = await throttled.invoke(sqsEvent());
    vi.restoreAllMocks();
    const hopeless = setUp([v4List()], {
      faults: { errors: { Entries: Array(20).fill("RequestLimitExceeded") } },
    });
    const otherGroup = messagesOf(
      driftInput([
        observation(HOSTS.pinned, { active: ["203.0.113.50"], entered: ["203.0.113.50"] }),
      ]),
    );

    // Act
    const failed = await hopeless.invoke(sqsEvent([...messagesOf(), ...otherGroup]));

    // Assess
    expect(recovered.batchItemFailures).toEqual([]);
    expect(recovered.reports[0]?.lists[0]).toMatchObject({ status: "applied", retries: 2 });
    expect(throttled.sleeps).toEqual([500, 1000]);
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: "message-1" }]);
    expect(failed.reports.map((r) => r.group)).toEqual(["online-help"]);
    expect(hopeless.sleeps).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    const error = hopeless.output.logs().find((l) => l.message === "prefix lists not synced");
    expect(error).toMatchObject({ group: "ntp", messageIds: ["message-1"] });
    expect(JSON.stringify(error?.error)).toContain("gave up after 6 retries");
  });

  it("refuses a list too small for the allowlist, applying nothing, unless resizing is allowed", async () => {
    const small = v4List([], { maxEntries: 1 });
    const refused = setUp([small]);
    const response = await refused.invoke(sqsEvent());
    const metrics = refused.output.metrics();
    const errors = refused.output.logs().filter((l) => l.level === "ERROR");
    vi.restoreAllMocks();
    const growable = v4List([], { maxEntries: 1 });
    const resized = setUp([growable], { limits: { allowResize: true, maxEntriesCeiling: 50 } });

    const grown = await resized.invoke(sqsEvent());

    expect(response.batchItemFailures).toEqual([]);
    expect(refused.modifications).toEqual([]);
    expect(response.reports[0]?.lists[0]).toMatchObject({
      status: "refused",
      maxEntries: 1,
      added: ["162.159.200.1/32", "162.159.200.123/32"],
      reason: "2 entries exceed MaxEntries 1 and resizing is not allowed",
    });
    expect(errors.map((l) => [l.message, l.status])).toEqual([
      ["prefix list not synced", "refused"],
      ["prefix list not synced", "no-prefix-list"],
    ]);
    expect(metrics).toMatchObject({ PrefixListSyncRefusals: 2 });
    expect(resized.modifications.map((m) => m.MaxEntries ?? m.AddEntries?.length)).toEqual([2, 2]);
    expect(growable.maxEntries).toBe(2);
    expect(grown.reports[0]?.lists[0]).toMatchObject({
      status: "applied",
      resizedTo: 2,
      toVersion: 3,
    });
  });

  it("in dry-run mode reports the plan and modifies nothing", async () => {
    const v4 = v4List(["192.0.2.10/32"]);
    const { invoke, modifications } = setUp([v4], { dryRun: true });

    const response = await invoke(sqsEvent());

    expect(modifications).toEqual([]);
    expect([...v4.entries.keys()]).toEqual(["192.0.2.10/32"]);
    expect(response.reports[0]).toMatchObject({ dryRun: true });
    expect(response.reports[0]?.lists[0]).toMatchObject({
      status: "dry-run",
      added: ["162.159.200.1/32", "162.159.200.123/32"],
      removed: ["192.0.2.10/32"],
      fromVersion: 1,
      toVersion: 1,
    });
  });

  it("leaves the lists alone when the group has no allowlist file, and fails a body that is not a notification", async () => {
    const v4 = v4List(["192.0.2.10/32"]);
    const { invoke, modifications, output } = setUp([v4], {
      bucket: { get: async () => null, files: new Map() },
    });
    const event = sqsEvent();
    const [record] = event.Records;
    if (record === undefined) throw new Error("no record");
    event.Records.push({ ...record, messageId: "garbage", body: "{not json" });

    const response = await invoke(event);

    expect(modifications).toEqual([]);
    expect(response.reports).toEqual([
      { group: "ntp", allowlist: "missing", dryRun: false, lists: [] },
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "garbage" }]);
    expect(output.logs().map((l) => l.message)).toContain("not a driftwatch notification");
  });

  it("on its schedule, brings every tagged group's lists to its allowlist, an emptied group's too", async () => {
    // Prepare: ntp's file lists its addresses; online-help's was emptied by a catalogue revision
    // (no IP event names it); retired has no file; a list of another stage is not this one's.
    const files = allowlistFilesOf();
    const emptied = groupAllowlist("clearswift-seg-5.3", "online-help", []);
    files.set(allowlistKeys("online-help").json, {
      bytes: new TextEncoder().encode(renderAllowlistJson(emptied, NOW.toISOString())),
      metadata: {},
    });
    const ntp = v4List(["192.0.2.10/32"]);
    const help = fakePrefixList({
      id: "pl-0help",
      tags: tags("online-help"),
      entries: ["203.0.113.50/32"],
    });
    const retired = fakePrefixList({
      id: "pl-0old",
      tags: tags("retired"),
      entries: ["198.51.100.1/32"],
    });
    const staging = fakePrefixList({
      id: "pl-0stg",
      tags: { ...tags("online-help"), [PREFIX_LIST_STAGE_TAG]: "staging" },
      entries: ["203.0.113.50/32"],
    });
    const { invoke, output } = setUp([ntp, help, retired, staging], {
      bucket: { get: async (key: string) => files.get(key) ?? null, files },
    });

    // Act
    const response = await invoke(
      scheduledEvent(NOW.toISOString(), "prefix-list-reconcile") as never,
    );

    // Assess
    expect(response.reports.map((r) => [r.group, r.allowlist])).toEqual([
      ["ntp", "found"],
      ["online-help", "found"],
      ["retired", "missing"],
    ]);
    expect([...ntp.entries.keys()].sort()).toEqual(["162.159.200.1/32", "162.159.200.123/32"]);
    expect([...help.entries.keys()]).toEqual([]);
    expect([...retired.entries.keys()]).toEqual(["198.51.100.1/32"]);
    expect([...staging.entries.keys()]).toEqual(["203.0.113.50/32"]);
    expect(output.logs().find((l) => l.message === "prefix lists reconciled")).toMatchObject({
      groups: 3,
      failed: 0,
    });
  });

  it("on its schedule, syncs the other groups when one cannot be, then fails naming it", async () => {
    const files = allowlistFilesOf();
    const ntp = v4List(["192.0.2.10/32"]);
    const help = fakePrefixList({ id: "pl-0help", tags: tags("online-help") });
    const { invoke, output } = setUp([help, ntp], {
      bucket: {
        get: async (key: string) => {
          if (key === allowlistKeys("online-help").json) throw new Error("S3 unavailable");
          return files.get(key) ?? null;
        },
        files,
      },
    });

    const failed = await invoke(
      scheduledEvent(NOW.toISOString(), "prefix-list-reconcile") as never,
    ).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(PrefixListReconcileError);
    expect(failed).toMatchObject({ groups: ["online-help"] });
    expect([...ntp.entries.keys()].sort()).toEqual(["162.159.200.1/32", "162.159.200.123/32"]);
    const error = output.logs().find((l) => l.message === "prefix lists not synced");
    expect(error).toMatchObject({ group: "online-help", reconcile: true });
  });

  it("rejects an event that is neither a batch of records nor a schedule, naming the field", async () => {
    const { invoke, modifications } = setUp([v4List()]);

    const rejected = await invoke({ source: "aws.events" } as never).catch(
      (error: unknown) => error,
    );

    expect(rejected).toMatchObject({ name: "InvalidEventError", eventKind: "schedule" });
    expect(modifications).toEqual([]);
  });

  it("converges from random starting states (sizes, overlaps, other writers' entries), then stays put", async () => {
    for (let seed = 1; seed <= 25; seed++) {
      // Prepare: a list with up to 300 entries, some of them the target's, a target of up to 250.
      const next = mulberry32(seed);
      const pool = Array.from({ length: 600 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
      const pick = (n: number) => pool.filter(() => next() < n / pool.length);
      const target = pick(Math.floor(next() * 250));
      const start = pick(Math.floor(next() * 300)).map((ip) => `${ip}/32`);
      const input = ntpRun(target, []);
      const list = v4List(start, { maxEntries: 400, version: 1 + Math.floor(next() * 50) });
      const { invoke, modifications } = setUp([list], { bucket: bucketOf(input) });

      // Act
      const first = await invoke(
        sqsEvent(messagesOf(ntpRun([...target, "162.159.200.9"], ["162.159.200.9"]))),
      );
      const count = modifications.length;
      const second = await invoke(
        sqsEvent(messagesOf(ntpRun([...target, "162.159.200.9"], ["162.159.200.9"]))),
      );

      // Assess
      expect(first.batchItemFailures, `seed ${seed}`).toEqual([]);
      expect([...list.entries.keys()].sort(), `seed ${seed}`).toEqual(
        target.map((ip) => `${ip}/32`).sort(),
      );
      expect(second.reports[0]?.lists[0]?.status, `seed ${seed}`).toBe("unchanged");
      expect(modifications.length, `seed ${seed}`).toBe(count);
      vi.restoreAllMocks();
    }
  });
});

function ModifyCommand() {
  return ModifyManagedPrefixListCommand;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
