import { z } from "zod";
import { jsonText } from "./events";

/**
 * The SQS trigger of sync-prefix-lists: records whose body is a driftwatch notification, raw
 * (the subscription's RawMessageDelivery) or inside the SNS envelope. Only what the subscriber
 * needs is read: the message id and the group.
 */

const SqsRecord = z.object({
  messageId: z.string().min(1, "expected a non-empty string"),
  body: z.string(),
  eventSource: z.literal("aws:sqs"),
});

export const SqsEvent = z.object({ Records: z.array(SqsRecord).min(1) });
export type SqsEvent = z.output<typeof SqsEvent>;

const NotificationBody = z.looseObject({
  schemaVersion: z.literal(1),
  eventId: z.string().min(1),
  group: z.string().min(1).nullable(),
});

const SnsEnvelope = z.looseObject({
  Type: z.literal("Notification"),
  Message: jsonText(NotificationBody),
});

/** A record's body: the notification's id and group, from either delivery. */
export const NotificationOfBody = jsonText(
  z.union([SnsEnvelope.transform((envelope) => envelope.Message), NotificationBody]),
);
export type NotificationOfBody = z.output<typeof NotificationOfBody>;
