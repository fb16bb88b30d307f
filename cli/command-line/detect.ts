import { type Command, Option } from "commander";
import type { DetectCommandOptions } from "#cli/commands/detect";
import { runWatchingInterrupts } from "#cli/interrupt";
import {
  awsIpRangesUrlOption,
  cloudfrontUrlOption,
  deadlineOption,
  dnsServerOption,
  positiveWholeNumber,
  processOutput,
  samplesOption,
  stateDirOption,
  timeoutMsOption,
} from "#cli/options";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";
import { DEFAULT_FAILURE_THRESHOLD } from "#shared/compare/config";

/**
 * `--catalogue FILE`, repeatable: several catalogues resolved once and judged each on its own
 * (docs/catalogue.md, "Several catalogues"); the shipped one when not given.
 */
function cataloguesOption(): Option {
  const shipped: string[] = [DEFAULT_CATALOGUE_PATH];
  return new Option(
    "--catalogue <file>",
    "catalogue JSON; repeat it to watch several catalogues in one cycle",
  )
    .default(shipped, DEFAULT_CATALOGUE_PATH)
    .argParser((file: string, previous: string[]) =>
      previous === shipped ? [file] : [...previous, file],
    );
}

/** `driftwatch detect`: one full detection cycle, then the report. */
export function registerDetectCommand(program: Command): void {
  program
    .command("detect")
    .description(
      "Run one detection cycle: resolve the catalogue, ingest the feeds, compare, commit, notify, write allowlists, report. Exit 0: nothing to act on; 1: an error prevented the run; 2: drift to act on; 130/143: interrupted (SIGINT/SIGTERM)",
    )
    .addOption(dnsServerOption())
    .addOption(stateDirOption())
    .addOption(awsIpRangesUrlOption())
    .addOption(cloudfrontUrlOption())
    .addOption(cataloguesOption())
    .addOption(samplesOption("queries per name and resolver (round-robin names)"))
    .addOption(timeoutMsOption())
    .addOption(deadlineOption("no DNS query is asked after this many seconds", 60))
    .option(
      "--failure-threshold <runs>",
      "consecutive failed runs before resolution-failed is notified",
      positiveWholeNumber("--failure-threshold"),
      DEFAULT_FAILURE_THRESHOLD,
    )
    .option(
      "--zone <file>",
      "serve this zone file (fixtures/dns/README.md) on loopback and ask it as a resolver",
    )
    .option(
      "--shards <n>",
      "resolve in this many shards, one after the other, with the use cases of the sharded AWS run (docs/sharding.md)",
      positiveWholeNumber("--shards"),
    )
    .option("--json", "machine-readable: the run summary and every event, under `events`")
    .option("--quiet", "no progress, and only the summary line and the exit reason")
    .action(async (options: DetectCommandOptions) => {
      const { runDetectCommand } = await import("#cli/commands/detect");
      await runWatchingInterrupts((interruption) =>
        runDetectCommand(
          options,
          { ...processOutput, progressStream: process.stderr },
          process.env,
          () => new Date(),
          interruption,
        ),
      );
    });
}
