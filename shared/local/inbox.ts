import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

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
    await mkdir(folder, { recursive: true });
    for (const message of Messages) {
      const { json, email } = variants(message.Body ?? "");
      const name = fileName(json, message.MessageId ?? String(written.length));
      await writeFile(
        join(folder, `${name}.json`),
        `${JSON.stringify(JSON.parse(json), null, 2)}\n`,
      );
      if (email !== null) await writeFile(join(folder, `${name}.email.txt`), `${email}\n`);
      written.push(join(folder, `${name}.json`));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
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
