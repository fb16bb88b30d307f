import type { Command } from "commander";
import type { NotificationsCommandOptions } from "#cli/commands/query/notifications";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";

/** `driftwatch notifications`. */
export function registerNotificationsCommand(program: Command): void {
  program
    .command("notifications")
    .description(
      "Every change set published, oldest first: when, to which topic, its SNS message id, subject, severity and event ids",
    )
    .option("--since <date|iso>", "published at or after this (YYYY-MM-DD: the start of that day)")
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "one JSON document")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (options: NotificationsCommandOptions) => {
      const { runNotificationsCommand } = await import("#cli/commands/query/notifications");
      process.exitCode = await runNotificationsCommand(options, processOutput);
    });
}
