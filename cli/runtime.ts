import { randomUUID } from "node:crypto";
import {
  link,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import type { AwsClients } from "#shared/adapters/aws/clients";
import { writeFileAtomically } from "#shared/adapters/local/atomic-file";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { FeedId } from "#shared/domain/feed";
import type { Notifier } from "#shared/notify/ports";

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
  /**
   * The notifier a cycle publishes with. Embedded mode: each notification SNS accepted is also
   * written to `<stateDir>/notifications/` before `publish` returns (the fauxqs inbox lives in
   * memory), so it is on disk before its change set is marked published.
   */
  localNotifier(notifier: Notifier): Notifier;
  /**
   * Embedded mode: the last delivered report (`recordReport`), or null when there is none to go
   * by (AWS mode, or a state directory from a version that kept no such record).
   */
  lastReport(): Promise<DeliveredReport | null>;
  /** Embedded mode: records that `report` was delivered (atomically). No-op in AWS mode. */
  recordReport(report: DeliveredReport): Promise<void>;
  close(): Promise<void>;
}

/**
 * The watermark of `driftwatch detect`'s "new": a run whose report was delivered records it, and
 * the next run counts as new every change committed after `committedThrough`, by any run (one
 * killed or interrupted before its report, too). A stopped run records nothing.
 */
const DeliveredReportSchema = z.object({
  /** Null: none delivered yet (a fresh state directory); everything committed is new. */
  runId: z.string().nullable(),
  /** Changes committed at or before this instant (ISO) were in a delivered report. */
  committedThrough: z.string().datetime(),
  /**
   * A `detect` run started after it: changes may have been committed since by a run that
   * delivered no report. False: nothing was (no need to look).
   */
  detectRunSince: z.boolean().default(true),
});
export type DeliveredReport = z.infer<typeof DeliveredReportSchema>;

const REPORT_FILE = "last-report.json";
const LOCK_FILE = "lock";
/** A state directory's report record before any report was delivered. */
const NOTHING_REPORTED: DeliveredReport = {
  runId: null,
  committedThrough: new Date(0).toISOString(),
  detectRunSince: false,
};

export class RuntimeConfigError extends Error {
  override name = "RuntimeConfigError";
}

/** Another process has the embedded stores of this state directory open. */
export class StateDirectoryInUseError extends Error {
  override name = "StateDirectoryInUseError";
  constructor(
    readonly stateDir: string,
    readonly pid: number,
  ) {
    super(
      `state directory ${stateDir} is in use by another driftwatch process (pid ${pid}); ` +
        `if no driftwatch is running, delete ${join(stateDir, LOCK_FILE)}`,
    );
  }
}

/** The state directory's report record is not one driftwatch wrote. */
export class ReportRecordError extends Error {
  override name = "ReportRecordError";
}

export { DEFAULT_STATE_DIR } from "#cli/state-dir";

/** The archived snapshot each feed's pointer names: the only archives a cycle reads. */
async function currentFeedArchives(clients: AwsClients, tableName: string): Promise<string[]> {
  const { createDynamoFeedPointerStore } = await import(
    "#shared/adapters/dynamodb/feed-pointer-store"
  );
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

/**
 * Opens the store a command runs against. The AWS SDK and the embedded stack are imported here,
 * when a store is opened, not when the CLI starts: `driftwatch --help` loads neither.
 */
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
    const { createAwsClients } = await import("#shared/adapters/aws/clients");
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
      localNotifier: (notifier) => notifier,
      lastReport: async () => null,
      recordReport: async () => {},
      async close() {
        clients.destroy();
      },
    };
  }
  const [{ startEmbeddedStack }, { writeThroughNotifier }] = await Promise.all([
    import("#shared/adapters/local/embedded-stack"),
    import("#shared/adapters/local/inbox"),
  ]);
  const stateDir = resolve(options.stateDir);
  await prepareWritableDirectory(stateDir, `--state-dir ${options.stateDir}`);
  const lock = await lockStateDirectory(stateDir, options.stateDir);
  let stack: EmbeddedStack;
  try {
    // A state directory whose table is not created yet has delivered no report: everything its
    // runs commit is new until one is. One without the record (an older version) has no
    // watermark: only a run's own changes are new until a run records one.
    const reportFile = join(stateDir, REPORT_FILE);
    if ((await stat(join(stateDir, "dynamodb")).catch(() => null)) === null) {
      await writeFileAtomically(reportFile, `${JSON.stringify(NOTHING_REPORTED)}\n`);
    }
    stack = await startEmbeddedStack({ stateDir, neededArchives: currentFeedArchives });
  } catch (error) {
    await lock.release();
    throw error;
  }
  const reportFile = join(stateDir, REPORT_FILE);
  return {
    mode: "embedded",
    clients: stack.clients,
    tableName: stack.tableName,
    bucketName: stack.bucketName,
    topicArn: stack.topicArn,
    where: `the embedded store in ${options.stateDir}`,
    stack,
    stateDir,
    localNotifier: (notifier) => writeThroughNotifier(notifier, join(stateDir, "notifications")),
    lastReport: () => readDeliveredReport(reportFile),
    recordReport: (report) =>
      writeFileAtomically(reportFile, `${JSON.stringify(DeliveredReportSchema.parse(report))}\n`),
    async close() {
      try {
        await stack.stop();
      } finally {
        await lock.release();
      }
    },
  };
}

async function readDeliveredReport(path: string): Promise<DeliveredReport | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ReportRecordError(`cannot read ${path}`, { cause: error });
  }
  try {
    return DeliveredReportSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new ReportRecordError(`${path} is not a driftwatch report record: delete it`, {
      cause: error,
    });
  }
}

/** State directories this process holds (a second runtime on one of them is refused too). */
const heldStateDirectories = new Set<string>();

/**
 * Takes `<stateDir>/lock` (created exclusively, holding the pid): dynalite's LevelDB and the
 * bucket's mirror are one process's at a time. A lock whose process is gone (killed, crashed) is
 * taken over. Throws `StateDirectoryInUseError` when a live process holds it.
 */
async function lockStateDirectory(
  stateDir: string,
  shown: string,
): Promise<{ release(): Promise<void> }> {
  const path = join(stateDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  if (heldStateDirectories.has(stateDir)) throw new StateDirectoryInUseError(shown, process.pid);
  for (let attempt = 0; ; attempt++) {
    // Created whole or not at all (a hard link of a written file), so a racing taker never
    // reads an empty lock and takes it for a stale one.
    const temporary = join(stateDir, `.lock-${randomUUID()}.new`);
    try {
      await writeFile(temporary, mine);
      await link(temporary, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (attempt >= 3) {
        const holder = Number.parseInt((await readFile(path, "utf8").catch(() => "")) || "0", 10);
        throw new StateDirectoryInUseError(shown, holder);
      }
    } finally {
      await unlink(temporary).catch(() => {});
    }
    const held = await readFile(path, "utf8").catch(() => null);
    if (held === null) continue; // released meanwhile
    const pid = Number.parseInt(held, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new StateDirectoryInUseError(shown, pid);
    }
    // Stale: move it aside (one taker wins the rename), then check it was the stale one and not
    // a lock another taker wrote meanwhile; that one is put back.
    const aside = join(stateDir, `.lock-${randomUUID()}.stale`);
    if (
      (await rename(path, aside)
        .then(() => true)
        .catch(() => false)) === false
    )
      continue;
    const moved = await readFile(aside, "utf8").catch(() => null);
    if (moved !== held) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      continue;
    }
    await unlink(aside).catch(() => {});
  }
  heldStateDirectories.add(stateDir);
  return {
    async release() {
      heldStateDirectories.delete(stateDir);
      const current = await readFile(path, "utf8").catch(() => null);
      if (current === mine) await unlink(path).catch(() => {});
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
