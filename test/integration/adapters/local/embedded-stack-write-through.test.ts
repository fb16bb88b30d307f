import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import {
  type EmbeddedStack,
  type EmbeddedStackOptions,
  startEmbeddedStack,
} from "#shared/adapters/local/embedded-stack";

/**
 * The embedded bucket's mirror is written through: what the bucket accepted is on disk when the
 * S3 call returns, so a process that never reaches `stop()` (killed, crashed) loses nothing that
 * a DynamoDB item already points at.
 */
describe("embedded stack, bucket written through to disk", () => {
  const dirs: string[] = [];
  const stacks: EmbeddedStack[] = [];
  afterEach(async () => {
    for (const stack of stacks.splice(0)) await stack.stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const newStateDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "driftwatch-write-through-"));
    dirs.push(dir);
    return dir;
  };
  const started = async (
    stateDir: string,
    neededArchives?: EmbeddedStackOptions["neededArchives"],
  ) => {
    const stack = await startEmbeddedStack({
      stateDir,
      ...(neededArchives ? { neededArchives } : {}),
    });
    stacks.push(stack);
    return stack;
  };
  const onDisk = (stateDir: string, key: string) =>
    join(stateDir, "s3", "driftwatch-local", ...key.split("/"));
  const put = (stack: EmbeddedStack, key: string, body: string | Uint8Array) =>
    stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: body }));

  it("an object put through the stack's client is on disk when the put returns, before stop()", async () => {
    // Prepare
    const stateDir = await newStateDir();
    const stack = await started(stateDir);

    // Act
    await put(stack, "allowlists/license-validation.txt", "40.113.232.250\n");
    await put(stack, "feeds/cloudfront/abc.json", new TextEncoder().encode('{"v":1}'));

    // Assess
    expect(await readFile(onDisk(stateDir, "allowlists/license-validation.txt"), "utf8")).toBe(
      "40.113.232.250\n",
    );
    expect(await readFile(onDisk(stateDir, "feeds/cloudfront/abc.json"), "utf8")).toBe('{"v":1}');
  });

  it("a state directory as a kill leaves it (never stopped) still has the archive its pointer names", async () => {
    // Prepare: an archive, then an item naming it, as a feed ingest writes them
    const stateDir = await newStateDir();
    const first = await started(stateDir);
    const archiveKey = "feeds/aws-ip-ranges/0123abcd.json";
    await put(first, archiveKey, '{"prefixes":[]}');
    await first.clients.documents.send(
      new PutCommand({
        TableName: first.tableName,
        Item: { pk: "TEST#POINTER", sk: "CURRENT", archiveKey },
      }),
    );
    // What is on disk at this moment is what a SIGKILL would leave: copy it, never stop `first`.
    const afterKill = await newStateDir();
    await cp(stateDir, afterKill, { recursive: true });

    // Act: a fresh stack on that copy reads the item from the copied table, as `openRuntime`
    // reads the feed pointers, and loads the archive it names
    let named: unknown;
    const second = await started(afterKill, async (clients, tableName) => {
      const pointer = await clients.documents.send(
        new GetCommand({ TableName: tableName, Key: { pk: "TEST#POINTER", sk: "CURRENT" } }),
      );
      named = pointer.Item?.archiveKey;
      return typeof named === "string" ? [named] : [];
    });
    const object = await second.clients.s3.send(
      new GetObjectCommand({ Bucket: second.bucketName, Key: archiveKey }),
    );

    // Assess
    expect(named).toBe(archiveKey);
    expect(await object.Body?.transformToString()).toBe('{"prefixes":[]}');
  });

  it("a rewritten object replaces its file, and a deleted one is removed from disk", async () => {
    // Prepare
    const stateDir = await newStateDir();
    const stack = await started(stateDir);
    await put(stack, "allowlists/a.txt", "1.2.3.4\n");
    await put(stack, "allowlists/b.txt", "5.6.7.8\n");

    // Act
    await put(stack, "allowlists/a.txt", "1.2.3.4\n9.9.9.9\n");
    await stack.clients.s3.send(
      new DeleteObjectCommand({ Bucket: stack.bucketName, Key: "allowlists/b.txt" }),
    );

    // Assess
    expect(await readFile(onDisk(stateDir, "allowlists/a.txt"), "utf8")).toBe("1.2.3.4\n9.9.9.9\n");
    await expect(stat(onDisk(stateDir, "allowlists/b.txt"))).rejects.toThrow("ENOENT");
  });

  it("a put whose file cannot be written fails (nothing is made to point at it), and stop() tries again", async () => {
    // Prepare: a plain file where the object's folder would go
    const stateDir = await newStateDir();
    const stack = await started(stateDir);
    await mkdir(onDisk(stateDir, ""), { recursive: true });
    await writeFile(onDisk(stateDir, "feeds"), "not a folder");

    // Act
    const putting = put(stack, "feeds/cloudfront/abc.json", "{}");
    const failure = await putting.catch((error: unknown) => error);
    await rm(onDisk(stateDir, "feeds"));
    await stack.stop();

    // Assess
    expect(String(failure)).toMatch(/mirror of object feeds\/cloudfront\/abc\.json: cannot write/);
    expect(await readFile(onDisk(stateDir, "feeds/cloudfront/abc.json"), "utf8")).toBe("{}");
  });

  it("stop() leaves files written through as they are, and still mirrors what another client put", async () => {
    // Prepare
    const stateDir = await newStateDir();
    const stack = await started(stateDir);
    await put(stack, "allowlists/a.txt", "1.2.3.4\n");
    const writtenAt = (await stat(onDisk(stateDir, "allowlists/a.txt"))).mtimeMs;
    const other = new S3Client({
      region: stack.region,
      endpoint: stack.messagingEndpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await other.send(
      new PutObjectCommand({ Bucket: stack.bucketName, Key: "allowlists/b.txt", Body: "b\n" }),
    );
    other.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    await stack.stop();

    // Assess
    expect((await stat(onDisk(stateDir, "allowlists/a.txt"))).mtimeMs).toBe(writtenAt);
    expect(await readFile(onDisk(stateDir, "allowlists/b.txt"), "utf8")).toBe("b\n");
  });

  it("a half-written file a kill left behind is not restored as an object, and is cleared", async () => {
    // Prepare: a temporary file never renamed into the mirror
    const stateDir = await newStateDir();
    const incoming = join(stateDir, "s3", ".incoming");
    await mkdir(incoming, { recursive: true });
    await writeFile(join(incoming, "c0ffee"), '{"prefixes":[');

    // Act
    const stack = await started(stateDir);
    const listed = await stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.bucketName }),
    );

    // Assess
    expect(listed.Contents ?? []).toEqual([]);
    expect(await readdir(incoming)).toEqual([]);
  });
});
