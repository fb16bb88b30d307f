import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedStack } from "#shared/local/embedded-stack";
import { saveInboxMessages } from "#shared/local/inbox";

describe("embedded stack", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("keeps DynamoDB items and S3 objects across restarts of the same state directory", async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-stack-"));
    dirs.push(stateDir);
    const first = await startEmbeddedStack({ stateDir });
    await first.clients.documents.send(
      new PutCommand({ TableName: first.tableName, Item: { pk: "TEST#1", sk: "A", value: 42 } }),
    );
    await first.clients.s3.send(
      new PutObjectCommand({
        Bucket: first.bucketName,
        Key: "allowlists/x.txt",
        Body: "1.2.3.4\n",
      }),
    );
    await first.stop();

    // Act
    const second = await startEmbeddedStack({ stateDir });
    try {
      const item = await second.clients.documents.send(
        new GetCommand({ TableName: second.tableName, Key: { pk: "TEST#1", sk: "A" } }),
      );
      const object = await second.clients.s3.send(
        new GetObjectCommand({ Bucket: second.bucketName, Key: "allowlists/x.txt" }),
      );

      // Assess
      expect(item.Item?.value).toBe(42);
      expect(await object.Body?.transformToString()).toBe("1.2.3.4\n");
      expect(
        await readFile(join(stateDir, "s3", "driftwatch-local", "allowlists", "x.txt"), "utf8"),
      ).toBe("1.2.3.4\n");
    } finally {
      await second.stop();
    }
  });

  it("delivers a published notification to the inbox queue with its attributes", async () => {
    const stack = await startEmbeddedStack({});
    try {
      await stack.clients.sns.send(
        new PublishCommand({
          TopicArn: stack.topicArn,
          Message: '{"hello":"world"}',
          MessageAttributes: { eventType: { DataType: "String", StringValue: "ip-added" } },
        }),
      );
      const received = await stack.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.inboxQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
        }),
      );
      expect(received.Messages).toHaveLength(1);
      expect(received.Messages?.[0]?.Body).toBe('{"hello":"world"}');
    } finally {
      await stack.stop();
    }
  });

  it("saves the inbox's notifications to a folder, the JSON and the e-mail variant apart", async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), "driftwatch-inbox-"));
    dirs.push(folder);
    const stack = await startEmbeddedStack({});
    try {
      const body = JSON.stringify({
        detectedAt: "2026-08-21T12:00:00.000Z",
        subject: { key: "endpoint:a/b.example.com" },
        sequence: 3,
        part: 1,
      });
      await stack.clients.sns.send(
        new PublishCommand({
          TopicArn: stack.topicArn,
          MessageStructure: "json",
          Message: JSON.stringify({
            default: body,
            sqs: body,
            email: "1 change for b.example.com",
          }),
        }),
      );

      // Act
      const written = await saveInboxMessages(stack.clients.sqs, stack.inboxQueueUrl, folder);
      const again = await saveInboxMessages(stack.clients.sqs, stack.inboxQueueUrl, folder);

      // Assess
      const name = "20260821T120000Z-endpoint_a_b.example.com-3-1";
      expect(written).toEqual([join(folder, `${name}.json`)]);
      expect(JSON.parse(await readFile(join(folder, `${name}.json`), "utf8"))).toEqual(
        JSON.parse(body),
      );
      expect(await readFile(join(folder, `${name}.email.txt`), "utf8")).toBe(
        "1 change for b.example.com\n",
      );
      expect(again).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});
