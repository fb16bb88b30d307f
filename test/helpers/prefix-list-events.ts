import type { SQSEvent } from "aws-lambda";
import { buildAllowlists } from "#shared/allowlists/build";
import { allowlistKeys, renderAllowlistJson } from "#shared/allowlists/render";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { ArchivedObject } from "#shared/domain/object-archive";
import { buildNotifications } from "#shared/notify/build-notifications";
import { toPublishInput } from "#shared/notify/sns-encoding";
import { changeSetIdOf, groupBySubject } from "#shared/record/change-set";
import { driftInput, HOSTS, NOW, observation, RUN_ID } from "./verdict-fixtures";

/**
 * What the prefix-list subscriber is fed, made by the real builders: a run's change events
 * (evaluateDrift) as the publisher's SNS messages, delivered by SQS, and each group's allowlist
 * JSON as the writer renders it.
 */

export const PREFIX_LIST_TOPIC = "arn:aws:sns:eu-west-1:123456789012:driftwatch-prod-change-events";

/** The ntp group (rotating: the observed set is the allowlist): two IPv4 and one IPv6 address. */
export const NTP_ACTIVE = ["162.159.200.1", "162.159.200.123", "2606:4700:f1::123"];

export function ntpRun(active = NTP_ACTIVE, entered = ["162.159.200.123"]) {
  return driftInput([observation(HOSTS.rotating, { active, entered })]);
}

/** The SNS messages of a run, as the publisher would send them. */
export function messagesOf(input = ntpRun(), topicArn = PREFIX_LIST_TOPIC) {
  const events = evaluateDrift(input);
  return [...groupBySubject(events).values()].flatMap((group, index) => {
    const [first] = group;
    if (first === undefined) return [];
    return buildNotifications({
      changeSetId: changeSetIdOf(
        first.subject.key,
        group.map((e) => e.eventId),
      ),
      subject: first.subject,
      group: first.group,
      sequence: index + 1,
      runId: RUN_ID,
      catalogueId: "clearswift-seg-5.3",
      createdAt: NOW.toISOString(),
      events: group,
    }).map((message) => toPublishInput(topicArn, message));
  });
}

/** The SQS records: raw delivery (the `default` message) or the SNS envelope around it. */
export function sqsEvent(messages = messagesOf(), delivery: "raw" | "envelope" = "raw"): SQSEvent {
  return {
    Records: messages.map((message, index) => {
      const json = JSON.parse(message.Message ?? "{}").default as string;
      const body =
        delivery === "raw"
          ? json
          : JSON.stringify({ Type: "Notification", TopicArn: message.TopicArn, Message: json });
      return {
        messageId: `message-${index + 1}`,
        receiptHandle: `receipt-${index + 1}`,
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: "1787313600000",
          SenderId: "AIDAEXAMPLE",
          ApproximateFirstReceiveTimestamp: "1787313600000",
        },
        messageAttributes: {},
        md5OfBody: "0",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:driftwatch-prod-prefix-list-sync",
        awsRegion: "eu-west-1",
      };
    }),
  };
}

/** Each group's allowlist JSON as the writer renders it, by its key in the bucket. */
export function allowlistFilesOf(input = ntpRun()): Map<string, ArchivedObject> {
  const files = new Map<string, ArchivedObject>();
  for (const allowlist of buildAllowlists({ ...input, matchers: new Map() })) {
    const bytes = new TextEncoder().encode(renderAllowlistJson(allowlist, NOW.toISOString()));
    files.set(allowlistKeys(allowlist.group).json, { bytes, metadata: {} });
  }
  return files;
}
