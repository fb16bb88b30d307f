import { type Command, Option } from "commander";
import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { positiveWholeNumber, processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/runtime";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { DRIFT_EVENT_TYPES } from "#shared/compare/drift-event";
import { queryCommittedEvents } from "#shared/query/committed-events";
import { EventTypeField, WhenField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput, withQueryStore } from "./query-command";
import { formatEvents } from "./render-events";

export interface EventsCommandOptions {
  stateDir: string;
  since?: string;
  type: string[];
  limit: number;
  json?: boolean;
}

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
        `only this event type (repeatable): ${DRIFT_EVENT_TYPES.join(", ")}`,
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
    .option("--json", "machine-readable output")
    .action(async (options: EventsCommandOptions) => {
      process.exitCode = await runEventsCommand(options, processOutput);
    });
}

const EventsInput = z.object({ since: WhenField.optional(), type: z.array(EventTypeField) });

/**
 * `driftwatch events`:
 * 1. Validate `--since` and `--type`.
 * 2. Ask for the committed events of those types since then, the newest `limit`
 *    (`queryCommittedEvents`).
 * 3. Print them, newest first.
 */
export async function runEventsCommand(
  options: EventsCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("events", output, async () => {
    const input = parseQueryInput(EventsInput, { since: options.since, type: options.type });
    return withQueryStore(options.stateDir, env, async (runtime) => {
      const events = createDynamoEventStore({
        documents: runtime.clients.documents,
        tableName: runtime.tableName,
      });
      const answer = await queryCommittedEvents(
        { events },
        {
          ...(input.since !== undefined ? { since: input.since.start } : {}),
          types: input.type,
          limit: options.limit,
        },
      );
      output.stdout(
        options.json
          ? `${JSON.stringify({ total: answer.total, events: answer.events }, null, 2)}\n`
          : formatEvents(answer.events, answer.total, runtime.where),
      );
      return EXIT_OK;
    });
  });
}
