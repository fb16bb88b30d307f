import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { writeFileAtomically } from "#shared/adapters/local/atomic-file";
import type { OutgoingNotification } from "#shared/notify/notification";
import type { Notifier } from "#shared/notify/ports";

/**
 * The embedded stack's inbox: an SQS queue subscribed to the topic (raw delivery). After a local
 * run its notifications are written to a folder, one `.json` (what an SQS, Lambda or HTTPS
 * subscriber receives) and one `.email.txt` (the e-mail variant) per message, so they outlive
 * the in-memory fauxqs.
 *
 * fauxqs delivers the whole `MessageStructure: json` envelope ({default, email}) rather
 * than the per-protocol variant; both shapes are accepted here.
 */
export async function saveInboxMessages(
  sqs: SQSClient,
  queueUrl: string,
  folder: string,
): Promise<string[]> {
  const written: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return written;
    for (const message of Messages) {
      const { json, email } = variants(message.Body ?? "");
      const name = fileName(json, message.MessageId ?? String(written.length));
      written.push(await writeNotificationFiles(folder, name, json, email));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
}

/**
 * The local run's notifier: each notification `inner` (SNS) accepted is written to `folder`, as
 * `saveInboxMessages` writes it, before `publish` returns, so it is on disk before the change
 * set is marked published: a run killed after that still left it there. A re-publish of the
 * same notification (a retry after a crash) rewrites the same files with the same bytes.
 */
export function writeThroughNotifier(inner: Notifier, folder: string): Notifier {
  return {
    async publish(notification: OutgoingNotification) {
      const sent = await inner.publish(notification);
      const json = JSON.stringify(notification.body);
      await writeNotificationFiles(
        folder,
        fileName(json, sent.messageId),
        json,
        notification.emailText,
      );
      return sent;
    },
  };
}

/**
 * Writes `<name>.json` (pretty-printed) and `<name>.email.txt` atomically (temporary file, then
 * rename), so a reader, or a run killed part-way, never sees half a file. Returns the JSON path.
 */
async function writeNotificationFiles(
  folder: string,
  name: string,
  json: string,
  email: string | null,
): Promise<string> {
  await mkdir(folder, { recursive: true });
  const target = join(folder, `${name}.json`);
  await writeFileAtomically(target, `${JSON.stringify(JSON.parse(json), null, 2)}\n`);
  if (email !== null) await writeFileAtomically(join(folder, `${name}.email.txt`), `${email}\n`);
  return target;
}

function variants(body: string): { json: string; email: string | null } {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed === "object" && parsed !== null && "default" in parsed) {
    const envelope = parsed as { default: string; email?: string };
    return { json: envelope.default, email: envelope.email ?? null };
  }
  return { json: body, email: null };
}

function fileName(json: string, fallback: string): string {
  const message = JSON.parse(json) as {
    detectedAt?: string;
    subject?: { key?: string };
    sequence?: number;
    part?: number;
  };
  if (message.detectedAt === undefined || message.subject?.key === undefined) return fallback;
  const time = message.detectedAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const subject = message.subject.key.replace(/[^a-zA-Z0-9.-]+/g, "_");
  return `${time}-${subject}-${message.sequence ?? 0}-${message.part ?? 1}`;
}
