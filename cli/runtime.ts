import { mkdir, mkdtemp, rmdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type AwsClients, createAwsClients } from "#shared/aws/clients";
import type { FeedId } from "#shared/domain/feed";
import { type EmbeddedStack, startEmbeddedStack } from "#shared/local/embedded-stack";
import { createDynamoFeedPointerStore } from "#shared/stores/dynamodb/feed-pointer-store";

const FEED_IDS: readonly FeedId[] = ["aws-ip-ranges", "cloudfront"];

/**
 * Where a CLI command keeps its state: the embedded default (dynalite + fauxqs in-process, data
 * under the state directory) or AWS, when `AWS_REGION` and `DRIFTWATCH_TABLE_NAME` are set.
 * Both are driven by the same adapters.
 */
export interface Runtime {
  mode: "embedded" | "aws";
  clients: AwsClients;
  tableName: string;
  /** Empty when the command did not ask for it and AWS mode has none configured. */
  bucketName: string;
  topicArn: string;
  /** A readable description, e.g. "the embedded store in .driftwatch". */
  where: string;
  /** Embedded mode only. */
  stack: EmbeddedStack | null;
  stateDir: string | null;
  close(): Promise<void>;
}

export class RuntimeConfigError extends Error {
  override name = "RuntimeConfigError";
}

export const DEFAULT_STATE_DIR = ".driftwatch";

/** The archived snapshot each feed's pointer names: the only archives a cycle reads. */
async function currentFeedArchives(clients: AwsClients, tableName: string): Promise<string[]> {
  const pointers = createDynamoFeedPointerStore({ documents: clients.documents, tableName });
  const feeds = await Promise.all(FEED_IDS.map((feed) => pointers.get(feed)));
  return feeds.flatMap((pointer) => (pointer === null ? [] : [pointer.meta.archiveKey]));
}

export interface RuntimeOptions {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** AWS resources the command needs besides the table (each names its variable when missing). */
  needs?: readonly ("bucket" | "topic")[];
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env } = options;
  const region = env.AWS_REGION;
  const tableName = env.DRIFTWATCH_TABLE_NAME;
  if (tableName && !region) {
    throw new RuntimeConfigError("DRIFTWATCH_TABLE_NAME is set but AWS_REGION is not");
  }
  if (region && tableName) {
    const bucketName = env.DRIFTWATCH_BUCKET_NAME ?? "";
    const topicArn = env.DRIFTWATCH_TOPIC_ARN ?? "";
    for (const need of options.needs ?? []) {
      const [variable, value] =
        need === "bucket"
          ? ["DRIFTWATCH_BUCKET_NAME", bucketName]
          : ["DRIFTWATCH_TOPIC_ARN", topicArn];
      if (!value) {
        throw new RuntimeConfigError(
          `${variable} is not set (AWS mode: AWS_REGION and DRIFTWATCH_TABLE_NAME are set)`,
        );
      }
    }
    const clients = createAwsClients({ region });
    return {
      mode: "aws",
      clients,
      tableName,
      bucketName,
      topicArn,
      where: `DynamoDB table ${tableName} (${region})`,
      stack: null,
      stateDir: null,
      async close() {
        clients.destroy();
      },
    };
  }
  const stateDir = resolve(options.stateDir);
  await prepareWritableDirectory(stateDir, `--state-dir ${options.stateDir}`);
  const stack = await startEmbeddedStack({ stateDir, neededArchives: currentFeedArchives });
  return {
    mode: "embedded",
    clients: stack.clients,
    tableName: stack.tableName,
    bucketName: stack.bucketName,
    topicArn: stack.topicArn,
    where: `the embedded store in ${options.stateDir}`,
    stack,
    stateDir,
    close: () => stack.stop(),
  };
}

/**
 * Creates a directory the user named (`--state-dir`, the demo's `--keep`) one level at a time and
 * checks it is writable, so a bad one is a clear error naming `flag`. Node's recursive mkdir never
 * settles where the kernel refuses a parent (e.g. `/proc/x`): it would hang the command.
 */
export async function prepareWritableDirectory(dir: string, flag: string): Promise<void> {
  try {
    const missing: string[] = [];
    let current = dir;
    while ((await stat(current).catch(() => null)) === null && dirname(current) !== current) {
      missing.unshift(current);
      current = dirname(current);
    }
    for (const folder of missing) await mkdir(folder);
    const probe = await mkdtemp(join(dir, ".write-check-"));
    await rmdir(probe);
  } catch (error) {
    throw new RuntimeConfigError(`${flag}: cannot create or write to ${dir}`, {
      cause: error,
    });
  }
}
