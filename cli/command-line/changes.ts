import type { Command } from "commander";
import type { ChangesSinceVersionOptions } from "#cli/commands/firewall/changes-since-version";
import type { ChangesCommandOptions } from "#cli/commands/query/changes";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

type ChangesOptions = Omit<ChangesCommandOptions, "from"> &
  Partial<Pick<ChangesCommandOptions, "from">> &
  Partial<Pick<ChangesSinceVersionOptions, "sinceVersion">> & { api?: string };

/**
 * `driftwatch changes --from T1 [--to T2]` (per hostname and feed group, between two times) or
 * `driftwatch changes --since-version N` (the allowlist changes after version N).
 */
export function registerChangesCommand(program: Command): void {
  program
    .command("changes")
    .description(
      "What entered and left between two times: per hostname its observed set, per feed group the published ranges, with the values before and after and the run that saw it; or, with --since-version N, every allowlist change after version N",
    )
    .option("--from <date|iso>", "YYYY-MM-DD (the start of that UTC day) or an ISO 8601 instant")
    .option(
      "--to <date|iso>",
      "YYYY-MM-DD (the end of that UTC day) or an ISO 8601 instant; default now",
    )
    .option(
      "--since-version <N>",
      "instead of --from/--to: the allowlist changes after version N (0: all; see `driftwatch version`)",
    )
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "one JSON document")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (options: ChangesOptions) => {
      const conflict = conflictingOptions(options);
      if (conflict !== null) {
        processOutput.stderr(`driftwatch changes: ${conflict}\n`);
        process.exitCode = 1;
        return;
      }
      if (options.sinceVersion !== undefined) {
        const { runChangesSinceVersion } = await import(
          "#cli/commands/firewall/changes-since-version"
        );
        process.exitCode = await runChangesSinceVersion(
          { ...options, sinceVersion: options.sinceVersion },
          processOutput,
        );
        return;
      }
      const { runChangesCommand } = await import("#cli/commands/query/changes");
      process.exitCode = await runChangesCommand(
        { ...options, from: options.from ?? "" },
        processOutput,
      );
    });
}

/** `--since-version` and the time window are two questions: one of them, and only one. */
function conflictingOptions(options: ChangesOptions): string | null {
  if (options.sinceVersion === undefined) {
    return options.from === undefined
      ? "give --from <date|iso> (what entered and left since then) or --since-version <N> (the allowlist changes after version N)"
      : null;
  }
  const others = (["from", "to", "api", "csv"] as const)
    .filter((name) => options[name] !== undefined)
    .map((name) => `--${name}`);
  return others.length === 0
    ? null
    : `--since-version cannot be combined with ${others.join(", ")}: --since-version N answers the allowlist changes after version N (text or --json), --from/--to what entered and left between two times`;
}
