import type { Command } from "commander";
import type { FeedsCommandOptions } from "#cli/commands/feeds";
import { runWatchingInterrupts } from "#cli/interrupt";
import {
  awsIpRangesUrlOption,
  cloudfrontUrlOption,
  processOutput,
  stateDirOption,
} from "#cli/options";

/**
 * `driftwatch feeds`: one ingest of both feeds, into the embedded store or, when AWS_REGION,
 * DRIFTWATCH_TABLE_NAME and DRIFTWATCH_BUCKET_NAME are set, into the AWS table and bucket
 * (`openRuntime`).
 */
export function registerFeedsCommand(program: Command): void {
  program
    .command("feeds")
    .description(
      "Fetch, verify, archive and diff AWS ip-ranges.json and the CloudFront list, in the embedded store, or in AWS when AWS_REGION, DRIFTWATCH_TABLE_NAME and DRIFTWATCH_BUCKET_NAME are set (exit 1 when a feed is rejected or unreachable; 130/143 when interrupted)",
    )
    .addOption(awsIpRangesUrlOption())
    .addOption(cloudfrontUrlOption())
    .addOption(stateDirOption())
    .option("--json", "machine-readable output")
    .action(async (options: FeedsCommandOptions) => {
      const { runFeedsCommand } = await import("#cli/commands/feeds");
      await runWatchingInterrupts((interruption) =>
        runFeedsCommand(options, processOutput, process.env, () => new Date(), interruption),
      );
    });
}
