import type { Command } from "commander";
import type { HistoryCommandOptions } from "#cli/commands/query/history";
import { positiveWholeNumber, processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";

export const DEFAULT_HISTORY_LIMIT = 50;

/** `driftwatch history HOSTNAME`. */
export function registerHistoryCommand(program: Command): void {
  program
    .command("history")
    .description(
      "What a hostname resolved to: with --at, the observed set in effect then and the run's answers; otherwise run by run, newest first",
    )
    .argument("<hostname>", "a catalogued hostname, e.g. applianceupdate.clearswift.com")
    .option("--at <date|iso>", "YYYY-MM-DD (the end of that UTC day) or an ISO 8601 instant")
    .option("--from <date|iso>", "runs at or after this (YYYY-MM-DD: the start of that UTC day)")
    .option("--to <date|iso>", "runs at or before this (YYYY-MM-DD: the end of that UTC day)")
    .option(
      "--limit <n>",
      "at most this many runs, the newest",
      positiveWholeNumber("--limit"),
      DEFAULT_HISTORY_LIMIT,
    )
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "machine-readable output")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (hostname: string, options: HistoryCommandOptions) => {
      const { runHistoryCommand } = await import("#cli/commands/query/history");
      process.exitCode = await runHistoryCommand(hostname, options, processOutput);
    });
}
