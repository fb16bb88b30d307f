import type { Command } from "commander";
import type { ReportCommandOptions } from "#cli/commands/query/report";
import { positiveWholeNumber, processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

export const DEFAULT_REPORT_RUNS = 200;
export const DEFAULT_REPORT_LIST_LIMIT = 1000;

/** `driftwatch report --html FILE`. */
export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description(
      "An auditor's report as one self-contained HTML page: each endpoint's status, an IP timeline per hostname, the change events, notifications and feed versions of a period",
    )
    .requiredOption("--html <file>", "the HTML file to write")
    .option("--from <date|iso>", "the period's start (YYYY-MM-DD: the start of that UTC day)")
    .option("--to <date|iso>", "the period's end (YYYY-MM-DD: the end of that UTC day); now")
    .option(
      "--runs <n>",
      "at most this many runs per hostname on its timeline, the newest",
      positiveWholeNumber("--runs"),
      DEFAULT_REPORT_RUNS,
    )
    .option(
      "--limit <n>",
      "at most this many change events and notifications listed",
      positiveWholeNumber("--limit"),
      DEFAULT_REPORT_LIST_LIMIT,
    )
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .action(async (options: ReportCommandOptions) => {
      const { runReportCommand } = await import("#cli/commands/query/report");
      process.exitCode = await runReportCommand(options, processOutput);
    });
}
