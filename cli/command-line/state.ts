import type { Command } from "commander";
import type { StateCommandOptions } from "#cli/commands/query/state";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

/** `driftwatch state`. */
export function registerStateCommand(program: Command): void {
  program
    .command("state")
    .description(
      "Every catalogued endpoint's observed set in effect at a time, with its status (ok, drifted, failing, suspicious, not-observed) and since when",
    )
    .option(
      "--at <date|iso>",
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
    .action(async (options: StateCommandOptions) => {
      const { runStateCommand } = await import("#cli/commands/query/state");
      process.exitCode = await runStateCommand(options, processOutput);
    });
}
