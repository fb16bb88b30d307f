import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { DRIFT_EVENT_TYPES, SEVERITIES } from "#shared/compare/drift-event";

/**
 * The demo's two subscribers of the topic, as SQS queues on the embedded fauxqs:
 * - "firewall automation": raw delivery and a filter policy; reads the JSON (the `default` variant);
 * - "security team inbox": everything, SNS envelope; reads the subject and the `email` text, as
 *   an e-mail subscription would receive them.
 *
 * fauxqs does not honour `MessageStructure: json`: a queue receives the whole structure
 * ({default, email}). AWS would deliver the `default` variant to a queue; both
 * shapes are accepted here.
 */

export class DemoDeliveryError extends Error {
  override name = "DemoDeliveryError";
}

const JsonObject = z.record(z.string(), z.unknown());

const Structure = z.object({ default: z.string(), email: z.string() });

const Envelope = z.object({
  Type: z.literal("Notification"),
  Subject: z.string().nullable().optional(),
  Message: z.string(),
});

/** The fields of a notification (docs/notifications.md) the demo reads; the rest is printed as is. */
const Notification = z.looseObject({
  schemaVersion: z.literal(1),
  eventId: z.string(),
  changeSetId: z.string(),
  sequence: z.number(),
  severity: z.enum(SEVERITIES),
  group: z.string().nullable(),
  eventTypes: z.array(z.enum(DRIFT_EVENT_TYPES)),
  hostnames: z.array(z.string()),
  summary: z.string(),
  subject: z.looseObject({ key: z.string() }),
  events: z.array(
    z.looseObject({
      type: z.enum(DRIFT_EVENT_TYPES),
      added: z.array(z.string()),
      removed: z.array(z.string()),
    }),
  ),
});
export type DeliveredNotification = z.infer<typeof Notification>;

export interface Delivery {
  notification: DeliveredNotification;
  /** The notification exactly as delivered (key order kept), for printing. */
  json: Record<string, unknown>;
  /** The e-mail subject and text (absent when the message carried only the JSON). */
  email?: { subject: string; text: string };
  /** SQS message attributes as delivered (raw delivery carries the SNS attributes). */
  attributes: Record<string, string>;
}

export interface DemoSubscriber {
  name: string;
  description: string;
  queueUrl: string;
  filterPolicy: Record<string, unknown> | null;
}

export function subscribeDemoQueues(
  stack: EmbeddedStack,
  filterPolicy: Record<string, unknown>,
): { automation: DemoSubscriber; inbox: DemoSubscriber } {
  const topic = stack.topicArn.split(":").at(-1) ?? "";
  const automation = stack.messaging.createQueue("firewall-automation");
  stack.messaging.subscribe({
    topic,
    queue: "firewall-automation",
    attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify(filterPolicy) },
  });
  const inbox = stack.messaging.createQueue("security-team-inbox");
  stack.messaging.subscribe({ topic, queue: "security-team-inbox" });
  return {
    automation: {
      name: "firewall-automation",
      description: "SQS, raw delivery, filter policy",
      queueUrl: automation.queueUrl,
      filterPolicy,
    },
    inbox: {
      name: "security-team-inbox",
      description: "everything, read as the e-mail a subscriber gets",
      queueUrl: inbox.queueUrl,
      filterPolicy: null,
    },
  };
}

/** Every message waiting in the queue, received and deleted, in delivery order. */
export async function drainDeliveries(sqs: SQSClient, queueUrl: string): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (let batch = 0; batch < 100; batch++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages === undefined || Messages.length === 0) return deliveries;
    for (const message of Messages) {
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        if (value.StringValue !== undefined) attributes[name] = value.StringValue;
      }
      deliveries.push({ ...parseDelivery(message.Body ?? ""), attributes });
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  throw new DemoDeliveryError(`queue ${queueUrl} did not drain after 1000 messages`);
}

/** A queue body: an SNS envelope or a raw message; the message a structure or the JSON itself. */
export function parseDelivery(body: string): Omit<Delivery, "attributes"> {
  try {
    let subject: string | undefined;
    let message: unknown = JSON.parse(body);
    const envelope = Envelope.safeParse(message);
    if (envelope.success) {
      subject = envelope.data.Subject ?? undefined;
      message = JSON.parse(envelope.data.Message);
    }
    const structure = Structure.safeParse(message);
    const json = JsonObject.parse(structure.success ? JSON.parse(structure.data.default) : message);
    return {
      notification: Notification.parse(json),
      json,
      ...(structure.success
        ? { email: { subject: subject ?? "(no subject)", text: structure.data.email } }
        : {}),
    };
  } catch (cause) {
    throw new DemoDeliveryError(`a delivered message is not a driftwatch notification`, { cause });
  }
}

/**
 * Whether SNS attributes satisfy a filter policy of exact string values (what the demo uses):
 * every key must be present, and one of its values must equal the attribute or, for a
 * `String.Array` attribute, one of its elements.
 */
export function matchesExactFilter(
  policy: Record<string, unknown>,
  attributes: Record<string, string>,
): boolean {
  return Object.entries(policy).every(([key, allowed]) => {
    const raw = attributes[key];
    if (raw === undefined || !Array.isArray(allowed)) return false;
    const values = raw.startsWith("[") ? (JSON.parse(raw) as unknown[]).map(String) : [raw];
    return allowed.some((value) => values.includes(String(value)));
  });
}
