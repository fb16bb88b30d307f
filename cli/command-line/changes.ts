import type { Command } from "commander";
import type { ChangesCommandOptions } from "#cli/commands/query/changes";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

/** `driftwatch changes`. */
export function registerChangesCommand(program: Command): void {
  program
    .command("changes")
    .description(
      "What entered and left between two times: per hostname its observed set, per feed group the published ranges, with the values before and after and the run that saw it",
    )
    .requiredOption(
      "--from <date|iso>",
      "YYYY-MM-DD (the start of that UTC day) or an ISO 8601 instant",
    )
    .option(
      "--to <date|iso>",
      "YYYY-MM-DD (the end of that UTC day) or an ISO 8601 instant; default now",
    )
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "one JSON document")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (options: ChangesCommandOptions) => {
      const { runChangesCommand } = await import("#cli/commands/query/changes");
      process.exitCode = await runChangesCommand(options, processOutput);
    });
}
