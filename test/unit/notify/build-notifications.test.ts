import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
import type { DriftEvent } from "#shared/compare/drift-event";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import {
  type BuildOptions,
  buildNotifications as buildUnchecked,
} from "#shared/notify/build-notifications";
import type { NotificationEvent } from "#shared/notify/notification";
import {
  fifoGroupId,
  publishSize,
  SNS_MAX_PUBLISH_BYTES,
  toPublishInput,
} from "#shared/notify/sns-encoding";
import { type ChangeSet, changeSetIdOf, groupBySubject } from "#shared/record/change-set";
import { expectValidNotifications } from "#test/helpers/notify-schema";
import {
  driftInput,
  feeds,
  HOSTS,
  NOW,
  observation,
  prefix,
  RUN_ID,
  updatedFeed,
} from "#test/helpers/verdict-fixtures";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:driftwatch-events";

/** Builds the messages and checks every one against the published JSON Schema. */
function buildNotifications(changeSet: ChangeSet, options?: BuildOptions) {
  const messages = buildUnchecked(changeSet, options);
  expectValidNotifications(messages.map((m) => m.body));
  return messages;
}

function changeSetOf(events: DriftEvent[], sequence = 1): ChangeSet {
  const [first] = events;
  if (first === undefined) throw new Error("no events");
  return {
    changeSetId: changeSetIdOf(
      first.subject.key,
      events.map((e) => e.eventId),
    ),
    subject: first.subject,
    group: first.group,
    sequence,
    runId: RUN_ID,
    catalogueId: "clearswift-seg-5.3",
    createdAt: NOW.toISOString(),
    events,
  };
}

/** The change sets of one evaluated run, by subject. */
function changeSets(events: DriftEvent[]): ChangeSet[] {
  return [...groupBySubject(events).values()].map((group) => changeSetOf(group));
}

/** A cloudfront host that moved outside the ranges, plus a retired IP and a hijack elsewhere. */
function eventfulRun(): DriftEvent[] {
  return evaluateDrift(
    driftInput(
      [
        observation(HOSTS.pinned, {
          active: ["3.10.94.193"],
          suspicious: [{ ip: "10.0.0.8", range: "private", resolver: "192.0.2.53:53" }],
        }),
        observation(HOSTS.pool1, {
          active: ["185.155.104.24", "70.33.161.213"],
          entered: ["184.72.245.1"],
        }),
        observation(HOSTS.pool2, { active: ["185.155.104.24", "70.33.161.213"] }),
        observation(HOSTS.cloudfront, { entered: ["203.0.113.9"] }),
        observation(HOSTS.aws, { outcome: "servfail", consecutiveFailures: 5 }),
        observation(HOSTS.rotating, { active: ["162.159.200.1"], left: ["162.159.200.99"] }),
        observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"], entered: ["41.92.10.21"] }),
      ],
      {
        feeds: feeds([
          updatedFeed("cloudfront", {
            added: [prefix("18.64.0.0/14", "CLOUDFRONT_GLOBAL")],
            removed: [],
          }),
        ]),
      },
    ),
  );
}

/** Reassembles the events of a change set from its parts (the documented consumer procedure). */
function reassemble(parts: { events: NotificationEvent[] }[]): DriftEvent[] {
  const byId = new Map<string, DriftEvent>();
  for (const part of parts) {
    for (const { slice, ...event } of part.events) {
      const seen = byId.get(event.eventId);
      if (seen === undefined) byId.set(event.eventId, { ...event });
      else {
        seen.added = [...seen.added, ...event.added];
        seen.removed = [...seen.removed, ...event.removed];
        if (seen.evidence.ips && event.evidence.ips) {
          seen.evidence = { ...seen.evidence, ips: [...seen.evidence.ips, ...event.evidence.ips] };
        }
      }
    }
  }
  return [...byId.values()];
}

describe("buildNotifications", () => {
  it("produces one schema-valid message per change set, whatever the event types", () => {
    // Prepare
    const sets = changeSets(eventfulRun());

    // Act
    const messages = sets.flatMap((set) => buildNotifications(set));

    // Assess
    expect(messages).toHaveLength(sets.length);
    expectValidNotifications(messages.map((m) => m.body));
    expect(new Set(messages.flatMap((m) => m.body.eventTypes))).toEqual(
      new Set([
        "suspicious-answer",
        "retired-ip-seen",
        "ip-added",
        "ip-outside-published-ranges",
        "resolution-failed",
        "ip-removed",
        "feed-ranges-changed",
      ]),
    );
  });

  it("carries the filter attributes of the change set", () => {
    // Prepare
    const events = eventfulRun().filter((e) => e.subject.key.includes("products.clearswift.net"));

    // Act
    const [message] = buildNotifications(changeSetOf(events, 7));

    // Assess
    expect(message?.attributes).toEqual({
      catalogue: "clearswift-seg-5.3",
      eventType: ["ip-added", "ip-outside-published-ranges"],
      severity: "high",
      group: "product-updates",
      hostname: ["products.clearswift.net"],
      port: [443],
      protocol: ["tcp"],
    });
    expect(message?.body).toMatchObject({
      schemaVersion: 1,
      sequence: 7,
      part: 1,
      partCount: 1,
      group: "product-updates",
      allowlist: {
        txt: "allowlists/product-updates.txt",
        json: "allowlists/product-updates.json",
      },
    });
  });

  it("writes an e-mail saying what changed, which rule to add and why", () => {
    // Prepare
    const events = eventfulRun().filter((e) => e.subject.key.includes("ra.swisssign.net"));

    // Act
    const [message] = buildNotifications(changeSetOf(events));

    // Assess
    expect(message?.emailSubject).toBe("driftwatch HIGH: ip-added - ra.swisssign.net");
    expect(message?.emailText).toContain("1. ip-added, high");
    expect(message?.emailText).toContain(
      "What changed: ra.swisssign.net now resolves to 41.92.10.21: a new address (policy hostname-only",
    );
    expect(message?.emailText).toContain("Rule to add: allow 41.92.10.21 on tcp/443 out");
    expect(message?.emailText).toContain("Allowlist files: allowlists/swisssign-mpki.txt (EDL)");
    expect(message?.emailText.length).toBeLessThan(2000);
  });

  it("gives the same change set the same bytes and message ids", () => {
    // Prepare
    const set = changeSets(eventfulRun())[0];
    if (set === undefined) throw new Error("no change set");

    // Act
    const first = buildNotifications(set);
    const second = buildNotifications(structuredClone(set));

    // Assess
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first[0]?.body.eventId).toMatch(/^[0-9a-f]{64}$/);
    expect(first[0]?.body.eventId).not.toBe(set.changeSetId);
  });

  it("splits a change set too large for SNS into parts under 256 KiB that reassemble to it", () => {
    // Prepare: a rotating name whose run brings 6,000 new addresses
    const ips = Array.from({ length: 6000 }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.7`);
    const events = evaluateDrift(
      driftInput([observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ips })], {
        feeds: feeds([], []),
      }),
    ).filter((e) => e.type === "ip-added");
    const set = changeSetOf(events);

    // Act
    const messages = buildNotifications(set);

    // Assess
    expect(messages.length).toBeGreaterThan(1);
    expectValidNotifications(messages.map((m) => m.body));
    for (const [index, message] of messages.entries()) {
      expect(publishSize(toPublishInput(TOPIC, message))).toBeLessThanOrEqual(
        SNS_MAX_PUBLISH_BYTES,
      );
      expect(message.body).toMatchObject({
        part: index + 1,
        partCount: messages.length,
        changeSetId: set.changeSetId,
        sequence: 1,
      });
    }
    expect(new Set(messages.map((m) => m.body.eventId)).size).toBe(messages.length);
    const [whole] = reassemble(messages.map((m) => m.body));
    expect(whole?.added).toEqual(events[0]?.added);
    expect(whole?.evidence.ips?.map((ip) => ip.ip)).toEqual(events[0]?.added);
  });

  it("keeps whole events together when several fit a part", () => {
    // Prepare: every event of the run in one artificial change set, with a 12 KiB limit
    const events = eventfulRun().map((e) => ({
      ...e,
      subject: eventfulRun()[0]?.subject ?? e.subject,
    }));
    const set = changeSetOf(events);

    // Act
    const messages = buildNotifications(set, { maxBytes: 12 * 1024 });

    // Assess
    expect(messages.length).toBeGreaterThan(1);
    expectValidNotifications(messages.map((m) => m.body));
    expect(messages.flatMap((m) => m.body.events).every((e) => e.slice === undefined)).toBe(true);
    expect(messages.flatMap((m) => m.body.events.map((e) => e.eventId))).toEqual(
      events.map((e) => e.eventId),
    );
  });
});

describe("SNS publish input", () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it("sends the JSON once, as the default for sqs, lambda and https, and the summary to email", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const notifier = createSnsNotifier({
      sns: new SNSClient({ region: "us-east-1" }),
      topicArn: TOPIC,
    });
    const events = eventfulRun().filter((e) => e.subject.key.includes("products.clearswift.net"));
    const [notification] = buildNotifications(changeSetOf(events));
    if (notification === undefined) throw new Error("no notification");

    // Act
    const result = await notifier.publish(notification);

    // Assess
    expect(result).toEqual({ messageId: "m-1", topicArn: TOPIC });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageStructure).toBe("json");
    expect(input?.TopicArn).toBe(TOPIC);
    const structure = JSON.parse(input?.Message ?? "{}");
    // SNS gives `default` to every protocol the structure does not name (SQS, Lambda, HTTPS).
    expect(Object.keys(structure).sort()).toEqual(["default", "email"]);
    expect(JSON.parse(structure.default)).toEqual(notification.body);
    expectValidNotifications([JSON.parse(structure.default)]);
    expect(structure.email).toBe(notification.emailText);
    expect(input?.Subject).toBe(notification.emailSubject);
    expect(input?.MessageAttributes).toEqual({
      catalogue: { DataType: "String", StringValue: "clearswift-seg-5.3" },
      eventType: {
        DataType: "String.Array",
        StringValue: '["ip-added","ip-outside-published-ranges"]',
      },
      severity: { DataType: "String", StringValue: "high" },
      group: { DataType: "String", StringValue: "product-updates" },
      hostname: { DataType: "String.Array", StringValue: '["products.clearswift.net"]' },
      port: { DataType: "String.Array", StringValue: "[443]" },
      protocol: { DataType: "String.Array", StringValue: '["tcp"]' },
    });
    expect(input?.MessageGroupId).toBeUndefined();
  });

  it("orders per subject and deduplicates by message id on a FIFO topic", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-2" });
    const fifo = `${TOPIC}.fifo`;
    const notifier = createSnsNotifier({
      sns: new SNSClient({ region: "us-east-1" }),
      topicArn: fifo,
    });
    const [notification] = buildNotifications(changeSets(eventfulRun())[0] as ChangeSet);
    if (notification === undefined) throw new Error("no notification");

    // Act
    await notifier.publish(notification);

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageGroupId).toBe(`clearswift-seg-5.3/${notification.body.subject.key}`);
    expect(input?.MessageDeduplicationId).toBe(notification.body.eventId);
  });

  it("puts two catalogues' endpoints of one id in two FIFO groups, so neither waits on the other", async () => {
    // Prepare: endpoint ids are unique within a catalogue only
    sns.on(PublishCommand).resolves({ MessageId: "m-3" });
    const notifier = createSnsNotifier({
      sns: new SNSClient({ region: "us-east-1" }),
      topicArn: `${TOPIC}.fifo`,
    });
    const changeSet = changeSets(eventfulRun())[0] as ChangeSet;
    const other: ChangeSet = { ...changeSet, catalogueId: "sophos-email-appliance" };
    const [mine] = buildNotifications(changeSet);
    const [theirs] = buildNotifications(other);
    if (mine === undefined || theirs === undefined) throw new Error("no notification");

    // Act
    await notifier.publish(mine);
    await notifier.publish(theirs);

    // Assess
    const [first, second] = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(first?.MessageGroupId).not.toBe(second?.MessageGroupId);
    expect(first?.MessageAttributes?.catalogue?.StringValue).toBe("clearswift-seg-5.3");
    expect(second?.MessageAttributes?.catalogue?.StringValue).toBe("sophos-email-appliance");
  });

  it("keeps a FIFO group id within SNS's 128 characters for a long catalogue and subject", () => {
    // Prepare
    const id = fifoGroupId("c".repeat(64), `endpoint:${"e".repeat(64)}`);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(fifoGroupId("a", "endpoint:b")).toBe("a/endpoint:b");
  });
});
