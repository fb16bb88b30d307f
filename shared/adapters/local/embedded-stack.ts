import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { type AwsClients, createAwsClients } from "#shared/adapters/aws/clients";
import { ensureTable } from "#shared/adapters/dynamodb/table";
import { ALLOWLIST_VERSIONS_PREFIX } from "#shared/record/allowlist-versions/content-snapshots";
import { HISTORY_ARCHIVE_PREFIX } from "#shared/record/history-archive";
import { type BucketMirror, createBucketMirror } from "./embedded-stack/bucket-mirror";
import { drainBeforeClose } from "./embedded-stack/draining-server";
import { mirrorObjects } from "./embedded-stack/mirror-objects";
import { restoreObjects } from "./embedded-stack/restore-objects";
import { restoreOnRequest } from "./embedded-stack/restore-on-request";
import { writeThrough } from "./embedded-stack/write-through";

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
   * `neededArchives` names them, and are loaded when first read (GetObject, HeadObject; they
   * are not listed until then). Default `DEFAULT_ARCHIVE_PREFIXES`.
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

/**
 * Old feed snapshots, the run history archives and the content snapshots of allowlist versions
 * (read when their group changes next): few are ever read again by a run, and loading every one
 * of them at each start would grow without bound (at 10,000 hostnames the version snapshots were
 * 280 objects, 16 MB, after one run).
 */
const DEFAULT_ARCHIVE_PREFIXES: readonly string[] = [
  "feeds/",
  HISTORY_ARCHIVE_PREFIX,
  ALLOWLIST_VERSIONS_PREFIX,
];
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Starts the stack. Primary course:
 * 1. start dynalite (on LevelDB in the state directory, when given) and fauxqs;
 * 2. create the table, the topic, the bucket and the inbox queue subscribed to the topic;
 * 3. with a state directory, restore the bucket's mirror and write every change through to it.
 */
export async function startEmbeddedStack(
  options: EmbeddedStackOptions = {},
): Promise<EmbeddedStack> {
  const tableName = options.tableName ?? "driftwatch";
  const bucketName = options.bucketName ?? "driftwatch-local";
  const topicName = options.topicName ?? "driftwatch-events";
  const inboxQueueName = options.inboxQueueName ?? "driftwatch-inbox";
  const stateDir = options.stateDir;

  const dynamo = await startDynalite(stateDir);
  const messaging = await startFauxqs({ port: 0, logger: false, defaultRegion: LOCAL_REGION });
  const dynamodbEndpoint = dynamo.endpoint;
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
  const mirror =
    stateDir === undefined
      ? null
      : await mirrorBucket(options, clients, {
          stateDir,
          tableName,
          bucketName,
          messagingEndpoint,
        });

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
        await dynamo.close();
      }
    },
  };
}

/** dynalite on a free loopback port; persistent in `<stateDir>/dynamodb` when given. */
async function startDynalite(
  stateDir: string | undefined,
): Promise<{ endpoint: string; close(): Promise<void> }> {
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
  const port = (dynamo.address() as AddressInfo).port;
  const { close } = drainBeforeClose(dynamo);
  return { endpoint: `http://127.0.0.1:${port}`, close };
}

/**
 * The bucket's mirror in `<stateDir>/s3/<bucket>/`: the objects a run may read restored into
 * the bucket, then every write through `clients.s3` written through to disk.
 */
async function mirrorBucket(
  options: EmbeddedStackOptions,
  clients: AwsClients,
  names: { stateDir: string; tableName: string; bucketName: string; messagingEndpoint: string },
): Promise<BucketMirror> {
  const { stateDir, tableName, bucketName } = names;
  // Bucket names cannot start with a dot: this folder is never taken for a bucket's mirror.
  const mirror = await createBucketMirror(
    join(stateDir, "s3", bucketName),
    join(stateDir, "s3", ".incoming"),
  );
  const archivePrefixes = options.archivePrefixes ?? DEFAULT_ARCHIVE_PREFIXES;
  const archived = (key: string) => archivePrefixes.some((prefix) => key.startsWith(prefix));
  const needed = new Set(
    options.neededArchives ? await options.neededArchives(clients, tableName) : [],
  );
  const target = { endpoint: names.messagingEndpoint, bucket: bucketName };
  await restoreObjects(target, mirror, (key) => !archived(key) || needed.has(key));
  restoreOnRequest(clients.s3, target, mirror, archived);
  // Added after the restore: what was just read from disk is not written back.
  writeThrough(clients.s3, bucketName, mirror);
  return mirror;
}
