import { type Command, Option } from "commander";
import type { EventsCommandOptions } from "#cli/commands/query/events";
import { positiveWholeNumber, processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { CHANGE_EVENT_TYPES } from "#shared/compare/drift-event";

export const DEFAULT_EVENTS_LIMIT = 100;

/** `driftwatch events`. */
export function registerEventsCommand(program: Command): void {
  program
    .command("events")
    .description("The committed change events, newest first")
    .option("--since <date|iso>", "committed at or after this (YYYY-MM-DD: the start of that day)")
    .addOption(
      new Option(
        "--type <type>",
        `only this event type (repeatable): ${CHANGE_EVENT_TYPES.join(", ")}`,
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([] as string[], "every type"),
    )
    .option(
      "--limit <n>",
      "at most this many events, the newest",
      positiveWholeNumber("--limit"),
      DEFAULT_EVENTS_LIMIT,
    )
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "machine-readable output")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (options: EventsCommandOptions) => {
      const { runEventsCommand } = await import("#cli/commands/query/events");
      process.exitCode = await runEventsCommand(options, processOutput);
    });
}
