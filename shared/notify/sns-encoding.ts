import type { MessageAttributeValue, PublishCommandInput } from "@aws-sdk/client-sns";
import { sha256Hex } from "#shared/domain/canonical";
import type { OutgoingNotification } from "./notification";

/** SNS's limit for one publish: message, subject and attributes together (256 KiB). */
export const SNS_MAX_PUBLISH_BYTES = 262_144;

/**
 * The SNS encoding of a notification (pure; the adapter sends it):
 * - `MessageStructure: "json"`: `default` carries the JSON message, which SNS delivers to every
 *   protocol not named in the structure (SQS, Lambda, HTTP/S, `email-json`, ...); `email` carries a
 *   short human-readable summary. The JSON is in the structure once, not once per protocol, so
 *   a message can use almost the whole 256 KiB for it.
 * - `Subject`: the e-mail subject line.
 * - Message attributes for subscription filter policies: `eventType`, `hostname`, `port`,
 *   `protocol` as `String.Array` (a message can carry several; a policy value matches when any
 *   element equals it), `catalogue`, `severity` and `group` as `String`. Empty ones are left out.
 * - FIFO topics (`.fifo`): `MessageGroupId` = the catalogue and the subject (ordered per subject
 *   of one catalogue: endpoint ids are unique within a catalogue only, so two catalogues' endpoints
 *   of one id are two groups) and `MessageDeduplicationId` = the message's `eventId` (SNS drops a
 *   retry within 5 minutes; the id hashes the change set, whose events' ids hash the catalogue).
 */
export function toPublishInput(
  topicArn: string,
  notification: OutgoingNotification,
): PublishCommandInput {
  const json = JSON.stringify(notification.body);
  return {
    TopicArn: topicArn,
    MessageStructure: "json",
    Message: JSON.stringify({
      default: json,
      email: notification.emailText,
    }),
    Subject: notification.emailSubject,
    MessageAttributes: messageAttributes(notification),
    ...(topicArn.endsWith(".fifo")
      ? {
          MessageGroupId: fifoGroupId(notification.body.catalogueId, notification.body.subject.key),
          MessageDeduplicationId: notification.body.eventId,
        }
      : {}),
  };
}

export function messageAttributes(
  notification: OutgoingNotification,
): Record<string, MessageAttributeValue> {
  const { attributes } = notification;
  const out: Record<string, MessageAttributeValue> = {
    catalogue: { DataType: "String", StringValue: attributes.catalogue },
    eventType: { DataType: "String.Array", StringValue: JSON.stringify(attributes.eventType) },
    severity: { DataType: "String", StringValue: attributes.severity },
  };
  if (attributes.group !== undefined) {
    out.group = { DataType: "String", StringValue: attributes.group };
  }
  if (attributes.hostname.length > 0) {
    out.hostname = { DataType: "String.Array", StringValue: JSON.stringify(attributes.hostname) };
  }
  if (attributes.port.length > 0) {
    out.port = { DataType: "String.Array", StringValue: JSON.stringify(attributes.port) };
  }
  if (attributes.protocol.length > 0) {
    out.protocol = { DataType: "String.Array", StringValue: JSON.stringify(attributes.protocol) };
  }
  return out;
}

/** Bytes SNS counts against its limit: message, subject, and each attribute's name, type, value. */
export function publishSize(input: PublishCommandInput): number {
  let bytes = Buffer.byteLength(input.Message ?? "", "utf8");
  bytes += Buffer.byteLength(input.Subject ?? "", "utf8");
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name, "utf8");
    bytes += Buffer.byteLength(value.DataType ?? "", "utf8");
    bytes += Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return bytes;
}

/** `<catalogueId>/<subjectKey>`; FIFO message group ids are at most 128 characters. */
export function fifoGroupId(catalogueId: string, subjectKey: string): string {
  const id = `${catalogueId}/${subjectKey}`;
  return id.length <= 128 ? id : sha256Hex(id);
}
