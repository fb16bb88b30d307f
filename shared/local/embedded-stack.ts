import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { dirname, join, relative, sep } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { type AwsClients, createAwsClients } from "#shared/aws/clients";
import { ensureTable } from "#shared/stores/dynamodb/table";

/**
 * The embedded default: dynalite (DynamoDB, pure Node) and fauxqs (SNS/SQS/S3) in-process on
 * loopback, driven by the same adapters as AWS. With a state directory, DynamoDB persists through
 * LevelDB and the bucket is mirrored to `<stateDir>/s3/<bucket>/` (fauxqs keeps S3 in memory),
 * so a second run sees the first run's state, archives and allowlists. Only what a run can read
 * is loaded at start (archives on request), and only new or changed objects are written back.
 */
export interface EmbeddedStackOptions {
  /** Folder for persistent state; in-memory when omitted (tests). */
  stateDir?: string;
  tableName?: string;
  bucketName?: string;
  topicName?: string;
  /** A local SQS queue subscribed to the topic, so notifications can be read back. */
  inboxQueueName?: string;
  /**
   * Archives that need not be loaded at start: keys under these prefixes stay on disk unless
   * `neededArchives` names them (default `feeds/`: old feed snapshots are never read again,
   * and loading every one of them into memory at each start would grow without bound).
   */
  archivePrefixes?: readonly string[];
  /** Keys under `archivePrefixes` to load anyway, e.g. each feed's current snapshot. */
  neededArchives?: (clients: AwsClients, tableName: string) => Promise<readonly string[]>;
}

export interface EmbeddedStack {
  clients: AwsClients;
  region: string;
  tableName: string;
  bucketName: string;
  topicArn: string;
  inboxQueueUrl: string;
  dynamodbEndpoint: string;
  messagingEndpoint: string;
  /** fauxqs server handle: create extra queues and subscriptions in tests and the demo. */
  messaging: Awaited<ReturnType<typeof startFauxqs>>;
  /** Where the bucket is mirrored on disk, when persistent. */
  objectsDir: string | null;
  /** Mirrors the bucket to disk (when persistent) and stops both servers. */
  stop(): Promise<void>;
}

export const LOCAL_REGION = "us-east-1";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export async function startEmbeddedStack(
  options: EmbeddedStackOptions = {},
): Promise<EmbeddedStack> {
  const tableName = options.tableName ?? "driftwatch";
  const bucketName = options.bucketName ?? "driftwatch-local";
  const topicName = options.topicName ?? "driftwatch-events";
  const inboxQueueName = options.inboxQueueName ?? "driftwatch-inbox";
  const stateDir = options.stateDir;

  if (stateDir !== undefined) await mkdir(join(stateDir, "dynamodb"), { recursive: true });
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(stateDir !== undefined ? { path: join(stateDir, "dynamodb") } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(0, "127.0.0.1", () => resolve());
  });
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const messaging = await startFauxqs({ port: 0, logger: false, defaultRegion: LOCAL_REGION });

  const dynamodbEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const messagingEndpoint = messaging.address;
  const clients = createAwsClients({
    region: LOCAL_REGION,
    dynamodbEndpoint,
    messagingEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });

  await ensureTable(clients.dynamodb, tableName);
  const { topicArn } = messaging.createTopic(topicName);
  messaging.createBucket(bucketName);
  const { queueUrl: inboxQueueUrl } = messaging.createQueue(inboxQueueName);
  messaging.subscribe({
    topic: topicName,
    queue: inboxQueueName,
    attributes: { RawMessageDelivery: "true" },
  });

  const objectsDir = stateDir !== undefined ? join(stateDir, "s3", bucketName) : null;
  const restored = new Map<string, string>();
  if (objectsDir !== null) {
    const archivePrefixes = options.archivePrefixes ?? ["feeds/"];
    const needed = new Set(
      options.neededArchives ? await options.neededArchives(clients, tableName) : [],
    );
    await restoreObjects(
      clients,
      bucketName,
      objectsDir,
      restored,
      (key) => archivePrefixes.every((prefix) => !key.startsWith(prefix)) || needed.has(key),
    );
  }

  let stopped = false;
  return {
    clients,
    region: LOCAL_REGION,
    tableName,
    bucketName,
    topicArn,
    inboxQueueUrl,
    dynamodbEndpoint,
    messagingEndpoint,
    messaging,
    objectsDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (objectsDir !== null) await mirrorObjects(clients, bucketName, objectsDir, restored);
      } finally {
        clients.destroy();
        await messaging.stop();
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      }
    },
  };
}

/** Loads the mirrored objects that `wanted` accepts; remembers each one's ETag (its md5). */
async function restoreObjects(
  clients: AwsClients,
  bucket: string,
  dir: string,
  restored: Map<string, string>,
  wanted: (key: string) => boolean,
): Promise<void> {
  let files: string[];
  try {
    files = await readdir(dir, { recursive: true, withFileTypes: false });
  } catch {
    return;
  }
  for (const file of files) {
    const path = join(dir, file);
    const key = relative(dir, path).split(sep).join("/");
    if (!wanted(key)) continue;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      continue; // a directory
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    restored.set(key, `"${createHash("md5").update(body).digest("hex")}"`);
  }
}

/** Writes the objects that are new or changed since they were restored; the rest stay as they are. */
async function mirrorObjects(
  clients: AwsClients,
  bucket: string,
  dir: string,
  restored: ReadonlyMap<string, string>,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (object.ETag !== undefined && restored.get(object.Key) === object.ETag) continue;
      const target = join(dir, ...object.Key.split("/"));
      const response = await clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
      const bytes = await response.Body?.transformToByteArray();
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes ?? new Uint8Array());
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
}
