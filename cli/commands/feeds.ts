import {
  heldFetcher,
  InterruptedError,
  type Interruption,
  interruptedLine,
  NEVER_INTERRUPTED,
} from "#cli/interrupt";
import type { CommandOutput } from "#cli/options";
import { openRuntime } from "#cli/runtime";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import type { FeedDiff, FeedIngestResult } from "#shared/domain/feed";
import { DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT_MS } from "#shared/observe/feeds/config";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { summariseFeedDiff } from "#shared/observe/feeds/diff";
import { FeedIngestIncompleteError } from "#shared/observe/feeds/errors";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";

export interface FeedsCommandOptions {
  awsIpRangesUrl: string;
  cloudfrontUrl: string;
  stateDir: string;
  json?: boolean;
}

const MAX_LISTED_CHANGES = 20;

/**
 * Returns the exit code: 0 when every feed is current, 1 when one was rejected or unreachable,
 * 130 or 143 when `interruption` reports SIGINT or SIGTERM (the ingest abandoned, the store closed).
 */
export async function runFeedsCommand(
  options: FeedsCommandOptions,
  output: CommandOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
  interruption: Interruption = NEVER_INTERRUPTED,
): Promise<number> {
  const runtime = await openRuntime({ stateDir: options.stateDir, env, needs: ["bucket"] });
  let results: FeedIngestResult[];
  let incomplete = false;
  try {
    interruption.throwIfInterrupted();
    const ingest = ingestFeeds(
      {
        fetcher: heldFetcher(
          createHttpFeedFetcher({
            timeoutMs: DEFAULT_FEED_TIMEOUT_MS,
            maxBytes: DEFAULT_FEED_MAX_BYTES,
          }),
          interruption,
        ),
        archive: createS3ObjectArchive({ s3: runtime.clients.s3, bucketName: runtime.bucketName }),
        pointers: createDynamoFeedPointerStore({
          documents: runtime.clients.documents,
          tableName: runtime.tableName,
        }),
      },
      {
        feeds: [
          { id: "aws-ip-ranges", url: options.awsIpRangesUrl },
          { id: "cloudfront", url: options.cloudfrontUrl },
        ],
        now: now(),
        options: { grace: DEFAULT_FEED_GRACE },
      },
    );
    results = await interruption.race(ingest);
  } catch (error) {
    if (error instanceof InterruptedError) {
      output.stderr(interruptedLine("feeds"));
      return error.exitCode;
    }
    if (!(error instanceof FeedIngestIncompleteError)) throw error;
    output.stderr(`driftwatch feeds: ${error.message}\n`);
    results = [...error.results];
    incomplete = true;
  } finally {
    await runtime.close();
  }
  output.stdout(
    options.json
      ? `${JSON.stringify({ feeds: results.map(forJson) }, null, 2)}\n`
      : formatReport(results),
  );
  const failed = results.some((r) => r.status === "rejected" || r.status === "unreachable");
  return failed || incomplete ? 1 : 0;
}

/** A baseline diff (first snapshot) lists every prefix: give its count instead. */
function forJson(result: FeedIngestResult) {
  if (result.diff === undefined) return result;
  const { diff } = result;
  return {
    ...result,
    diff: {
      ...diff,
      baseline: diff.from === null,
      ...(diff.from === null ? { added: diff.added.length } : {}),
      groups: diff.from === null ? [] : summariseFeedDiff(diff),
    },
  };
}

export function formatReport(results: readonly FeedIngestResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const current = result.current;
    const version = current
      ? current.syncToken !== undefined
        ? `syncToken ${current.syncToken} (${current.createDate})`
        : `sha256 ${current.sha256.slice(0, 12)}`
      : "no snapshot yet";
    const counts = current ? `${current.prefixCount.v4} v4 / ${current.prefixCount.v6} v6` : "";
    lines.push(
      `${result.feed.padEnd(14)} ${result.status.padEnd(13)} ${version}  ${counts}`.trimEnd(),
    );
    if (result.reason !== undefined) lines.push(`  ${result.reason}`);
    if (result.warning !== undefined) lines.push(`  ${result.warning}`);
    if (result.diff !== undefined) lines.push(...formatDiff(result.diff));
  }
  return `${lines.join("\n")}\n`;
}

function formatDiff(diff: FeedDiff): string[] {
  if (diff.from === null) {
    return [
      `  baseline: ${diff.added.length} prefixes recorded (first snapshot, nothing to compare)`,
    ];
  }
  const pending = diff.pendingRemovals?.length ?? 0;
  const lines = [
    `  +${diff.added.length} -${diff.removed.length}${pending > 0 ? ` (${pending} removals pending in the flap grace period)` : ""}`,
  ];
  const changes = [
    ...diff.added.map(
      (p) =>
        `  + ${p.prefix.padEnd(24)} ${p.service} ${p.region}${p.networkBorderGroup !== p.region ? ` (${p.networkBorderGroup})` : ""}`,
    ),
    ...diff.removed.map(
      (p) =>
        `  - ${p.prefix.padEnd(24)} ${p.service} ${p.region}${p.networkBorderGroup !== p.region ? ` (${p.networkBorderGroup})` : ""}`,
    ),
  ];
  lines.push(...changes.slice(0, MAX_LISTED_CHANGES));
  if (changes.length > MAX_LISTED_CHANGES) {
    lines.push(`  ... and ${changes.length - MAX_LISTED_CHANGES} more (use --json)`);
  }
  return lines;
}
