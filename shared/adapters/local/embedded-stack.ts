import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { dirname, join, relative, sep } from "node:path";
import {
  type CopyObjectCommandInput,
  type DeleteObjectCommandInput,
  type DeleteObjectsCommandInput,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { ensureTable } from "#shared/adapters/dynamodb/table";
import { type AwsClients, createAwsClients } from "#shared/aws/clients";

/**
 * The embedded default: dynalite (DynamoDB, pure Node) and fauxqs (SNS/SQS/S3) in-process on
 * loopback, driven by the same adapters as AWS. With a state directory, DynamoDB persists through
 * LevelDB and the bucket is mirrored to `<stateDir>/s3/<bucket>/` (fauxqs keeps S3 in memory),
 * so a second run sees the first run's state, archives and allowlists. Only what a run can read
 * is loaded at start (archives on request).
 *
 * The mirror is written through: an object put (copied, deleted) through `clients.s3` is on disk
 * before the call returns, written to a temporary file and renamed into place. DynamoDB is durable
 * as it is written too, so a run killed at any point never leaves an item (a feed pointer) naming
 * an archive that is not on disk. `stop()` still mirrors what reached the bucket some other way.
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
  /**
   * Mirrors to disk what is not there yet (objects written through `clients.s3` already are),
   * when persistent, and stops both servers.
   */
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
  let mirror: BucketMirror | null = null;
  if (stateDir !== undefined && objectsDir !== null) {
    // Bucket names cannot start with a dot: this folder is never taken for a bucket's mirror.
    mirror = await createBucketMirror(objectsDir, join(stateDir, "s3", ".incoming"));
    const archivePrefixes = options.archivePrefixes ?? ["feeds/"];
    const needed = new Set(
      options.neededArchives ? await options.neededArchives(clients, tableName) : [],
    );
    await restoreObjects(
      clients,
      bucketName,
      mirror,
      (key) => archivePrefixes.every((prefix) => !key.startsWith(prefix)) || needed.has(key),
    );
    // Added after the restore: what was just read from disk is not written back.
    writeThrough(clients.s3, bucketName, mirror);
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
        if (mirror !== null) {
          await mirror.settled();
          await mirrorObjects(clients, bucketName, mirror);
        }
      } finally {
        clients.destroy();
        await messaging.stop();
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      }
    },
  };
}

/** A write of the bucket's mirror failed: the S3 call that caused it fails with it. */
export class BucketMirrorError extends Error {
  override readonly name = "BucketMirrorError";
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`mirror of object ${key}: ${reason}`, options);
  }
}

/**
 * The bucket's copy on disk, one file per key. Each write goes to a temporary file in
 * `incomingDir` (outside the mirror, so a half-written file is never restored as an object) and
 * is renamed into place. Writes of one key are applied in the order the mirror is asked, which
 * is the order the bucket acknowledged them (the middleware asks after each S3 call returns);
 * two puts of one key racing each other may be acknowledged in either order. Our keys are
 * content-addressed (feed archives) or rewritten by the next run (allowlists), so that heals.
 */
interface BucketMirror {
  readonly dir: string;
  /** Each mirrored key's ETag (the quoted md5 of its bytes, as S3 gives it for a single put). */
  readonly etags: ReadonlyMap<string, string>;
  write(key: string, bytes: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
  /** Remembers an object found on disk, without writing it. */
  known(key: string, bytes: Uint8Array): void;
  /** Resolves when every write asked so far is done (failed or not). */
  settled(): Promise<void>;
}

async function createBucketMirror(dir: string, incomingDir: string): Promise<BucketMirror> {
  // Left by a process killed between writing and renaming: never renamed, so never an object.
  await rm(incomingDir, { recursive: true, force: true });
  await mkdir(incomingDir, { recursive: true });
  const etags = new Map<string, string>();
  const queues = new Map<string, Promise<void>>();

  const pathOf = (key: string) => {
    const path = join(dir, ...key.split("/"));
    if (key === "" || relative(dir, path).startsWith("..") || path === dir) {
      throw new BucketMirrorError(key, "the key does not name a file inside the mirror");
    }
    return path;
  };

  /** Runs `change` after the key's earlier changes; the key's queue never holds a rejection. */
  const inOrder = (key: string, change: () => Promise<void>): Promise<void> => {
    const done = (queues.get(key) ?? Promise.resolve()).then(change);
    const tail = done.catch(() => {});
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return done;
  };

  return {
    dir,
    etags,
    write(key, bytes) {
      return inOrder(key, async () => {
        const target = pathOf(key);
        const temporary = join(incomingDir, randomUUID());
        try {
          await mkdir(dirname(target), { recursive: true });
          await writeFile(temporary, bytes);
          await rename(temporary, target);
        } catch (error) {
          await rm(temporary, { force: true });
          throw new BucketMirrorError(key, `cannot write ${target}`, { cause: error });
        }
        etags.set(key, etagOf(bytes));
      });
    },
    remove(key) {
      return inOrder(key, async () => {
        const target = pathOf(key);
        try {
          await unlink(target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
            throw new BucketMirrorError(key, `cannot remove ${target}`, { cause: error });
          }
        }
        etags.delete(key);
      });
    },
    known(key, bytes) {
      etags.set(key, etagOf(bytes));
    },
    async settled() {
      await Promise.all(queues.values());
    },
  };
}

const etagOf = (bytes: Uint8Array) => `"${createHash("md5").update(bytes).digest("hex")}"`;

/**
 * An S3 middleware: once the embedded bucket has accepted a write, the same change is made on
 * disk before the caller sees the response. The request's bytes are used when it has them
 * (PutObject with a string or bytes body); otherwise the object is read back.
 */
function writeThrough(s3: S3Client, bucket: string, mirror: BucketMirror): void {
  const readBack = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
  };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { Bucket?: string };
      if (input.Bucket !== bucket) return result;
      switch (context.commandName) {
        case "PutObjectCommand": {
          const { Key, Body } = args.input as PutObjectCommandInput;
          if (Key === undefined) break;
          const bytes =
            typeof Body === "string"
              ? new TextEncoder().encode(Body)
              : Body instanceof Uint8Array
                ? Body
                : await readBack(Key);
          await mirror.write(Key, bytes);
          break;
        }
        case "CopyObjectCommand": {
          const { Key } = args.input as CopyObjectCommandInput;
          if (Key !== undefined) await mirror.write(Key, await readBack(Key));
          break;
        }
        case "DeleteObjectCommand": {
          const { Key } = args.input as DeleteObjectCommandInput;
          if (Key !== undefined) await mirror.remove(Key);
          break;
        }
        case "DeleteObjectsCommand": {
          const { Delete } = args.input as DeleteObjectsCommandInput;
          const keys = (Delete?.Objects ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
          await Promise.all(keys.map((key) => mirror.remove(key)));
          break;
        }
      }
      return result;
    },
    { step: "initialize", name: "embeddedBucketWriteThrough" },
  );
}

/** Loads the mirrored objects that `wanted` accepts into the bucket. */
async function restoreObjects(
  clients: AwsClients,
  bucket: string,
  mirror: BucketMirror,
  wanted: (key: string) => boolean,
): Promise<void> {
  let files: string[];
  try {
    files = await readdir(mirror.dir, { recursive: true, withFileTypes: false });
  } catch {
    return;
  }
  for (const file of files) {
    const path = join(mirror.dir, file);
    const key = relative(mirror.dir, path).split(sep).join("/");
    if (!wanted(key)) continue;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      continue; // a directory
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    mirror.known(key, body);
  }
}

/**
 * Writes the objects the mirror does not hold yet (put into the bucket some other way than
 * `clients.s3`, e.g. by a second client on the same endpoint); the rest stay as they are.
 */
async function mirrorObjects(clients: AwsClients, bucket: string, mirror: BucketMirror) {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (object.ETag !== undefined && mirror.etags.get(object.Key) === object.ETag) continue;
      const response = await clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
      await mirror.write(
        object.Key,
        (await response.Body?.transformToByteArray()) ?? new Uint8Array(),
      );
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
}
