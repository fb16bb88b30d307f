import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { saveInboxMessages } from "#shared/adapters/local/inbox";

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

  it("restores each object byte for byte under its key, with the ETag it was stored with", async () => {
    // Prepare: a key that needs escaping in a URL path, and bytes that are not text
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-stack-"));
    dirs.push(stateDir);
    const key = "allowlists/mail relay+av (eu)/100%/x=1.bin";
    const bytes = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x0a, 0x0d, 0x80, 0x7f]);
    const first = await startEmbeddedStack({ stateDir });
    const put = await first.clients.s3.send(
      new PutObjectCommand({ Bucket: first.bucketName, Key: key, Body: bytes }),
    );
    await first.stop();

    // Act
    const second = await startEmbeddedStack({ stateDir });
    try {
      const object = await second.clients.s3.send(
        new GetObjectCommand({ Bucket: second.bucketName, Key: key }),
      );
      const listed = await second.clients.s3.send(
        new ListObjectsV2Command({ Bucket: second.bucketName, Prefix: "allowlists/" }),
      );

      // Assess
      expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(bytes);
      expect(object.ETag).toBe(put.ETag);
      expect(listed.Contents?.map((entry) => [entry.Key, entry.ETag])).toEqual([[key, put.ETag]]);
    } finally {
      await second.stop();
    }
  });

  it("loads only the archives a run needs, and writes back only what changed", async () => {
    // Prepare: a state directory holding two feed snapshots and an allowlist
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-stack-"));
    dirs.push(stateDir);
    const first = await startEmbeddedStack({ stateDir });
    for (const [key, body] of [
      ["feeds/cloudfront/old.json", "{}"],
      ["feeds/cloudfront/current.json", "{}"],
      ["allowlists/x.txt", "1.2.3.4\n"],
    ]) {
      await first.clients.s3.send(
        new PutObjectCommand({ Bucket: first.bucketName, Key: key, Body: body }),
      );
    }
    await first.stop();
    const onDisk = (key: string) => join(stateDir, "s3", "driftwatch-local", ...key.split("/"));
    const before = (await stat(onDisk("allowlists/x.txt"))).mtimeMs;

    // Act
    const second = await startEmbeddedStack({
      stateDir,
      neededArchives: async () => ["feeds/cloudfront/current.json"],
    });
    const listed = await second.clients.s3.send(
      new ListObjectsV2Command({ Bucket: second.bucketName }),
    );
    await second.clients.s3.send(
      new PutObjectCommand({
        Bucket: second.bucketName,
        Key: "allowlists/y.txt",
        Body: "5.6.7.8\n",
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await second.stop();

    // Assess
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      "allowlists/x.txt",
      "feeds/cloudfront/current.json",
    ]);
    expect(await readFile(onDisk("feeds/cloudfront/old.json"), "utf8")).toBe("{}");
    expect((await stat(onDisk("allowlists/x.txt"))).mtimeMs).toBe(before);
    expect(await readFile(onDisk("allowlists/y.txt"), "utf8")).toBe("5.6.7.8\n");
  });

  it("loads an archived object when it is read, not at start", async () => {
    // Prepare: an allowlist version's content snapshot and a history archive, on disk only
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-stack-"));
    dirs.push(stateDir);
    const snapshot = "allowlists/versions/mail-relay/ab12.json";
    const history = "history/2026/08/22/r1.json.gz";
    const first = await startEmbeddedStack({ stateDir });
    for (const key of [snapshot, history, "allowlists/mail-relay.txt"]) {
      await first.clients.s3.send(
        new PutObjectCommand({ Bucket: first.bucketName, Key: key, Body: `bytes of ${key}` }),
      );
    }
    await first.stop();

    // Act
    const second = await startEmbeddedStack({ stateDir });
    try {
      const keys = async () =>
        (
          await second.clients.s3.send(new ListObjectsV2Command({ Bucket: second.bucketName }))
        ).Contents?.map((o) => o.Key);
      const atStart = await keys();
      const head = await second.clients.s3.send(
        new HeadObjectCommand({ Bucket: second.bucketName, Key: history }),
      );
      const read = await second.clients.s3.send(
        new GetObjectCommand({ Bucket: second.bucketName, Key: snapshot }),
      );
      const missing = second.clients.s3.send(
        new GetObjectCommand({ Bucket: second.bucketName, Key: "allowlists/versions/x/none.json" }),
      );

      // Assess: only the allowlist at start; each archive once asked for; a missing one missing
      expect(atStart).toEqual(["allowlists/mail-relay.txt"]);
      expect(head.ContentLength).toBe(`bytes of ${history}`.length);
      expect(await read.Body?.transformToString()).toBe(`bytes of ${snapshot}`);
      await expect(missing).rejects.toThrow();
      expect((await keys())?.sort()).toEqual(["allowlists/mail-relay.txt", snapshot, history]);
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
