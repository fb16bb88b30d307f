import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
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
