import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createDynamoAllowlistStore } from "#shared/adapters/dynamodb/allowlist-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
import type { JudgeDriftDeps } from "#shared/detect/judge-drift";
import type { DriftNotification } from "#shared/notify/notification";
import type { Notifier } from "#shared/notify/ports";
import { expectValidNotifications } from "./notify-schema";

/** The real adapters of the notify path against the test stack (dynalite, fauxqs). */
export function notifyDeps(
  stack: EmbeddedStack,
  wrap: (notifier: Notifier) => Notifier = (n) => n,
): JudgeDriftDeps {
  const { clients, tableName, bucketName, topicArn } = stack;
  return {
    events: createDynamoEventStore({ documents: clients.documents, tableName }),
    notifier: wrap(createSnsNotifier({ sns: clients.sns, topicArn })),
    allowlists: {
      state: createDynamoAllowlistStore({ documents: clients.documents, tableName }),
      objects: createS3ObjectArchive({ s3: clients.s3, bucketName }),
    },
  };
}

/** A queue subscribed to the topic with raw delivery and, optionally, a filter policy. */
export function subscribeQueue(
  stack: EmbeddedStack,
  name: string,
  filterPolicy?: Record<string, unknown>,
): string {
  const { queueUrl } = stack.messaging.createQueue(name);
  stack.messaging.subscribe({
    topic: "driftwatch-events",
    queue: name,
    attributes: {
      RawMessageDelivery: "true",
      ...(filterPolicy === undefined ? {} : { FilterPolicy: JSON.stringify(filterPolicy) }),
    },
  });
  return queueUrl;
}

export interface Delivered {
  notification: DriftNotification;
  /** The raw SQS body, for byte comparisons. */
  body: string;
  attributes: Record<string, { DataType?: string; StringValue?: string }>;
}

/**
 * The notification inside a delivered body. AWS delivers the `default` variant of a
 * `MessageStructure: json` publish to a queue; fauxqs delivers the whole structure, so take
 * `default` from it.
 */
export function parseDelivered(body: string): DriftNotification {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (typeof parsed.default === "string") return JSON.parse(parsed.default) as DriftNotification;
  return parsed as unknown as DriftNotification;
}

/**
 * Every message waiting in a queue (received and deleted), in receive order. Each one is checked
 * against schema/drift-notification.schema.json on the way.
 */
export async function drainQueue(stack: EmbeddedStack, queueUrl: string): Promise<Delivered[]> {
  const delivered: Delivered[] = [];
  for (;;) {
    const { Messages } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages === undefined || Messages.length === 0) return delivered;
    for (const message of Messages) {
      const body = message.Body ?? "";
      const notification = parseDelivered(body);
      expectValidNotifications([notification]);
      delivered.push({
        notification,
        body,
        attributes: message.MessageAttributes ?? {},
      });
      await stack.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
}
