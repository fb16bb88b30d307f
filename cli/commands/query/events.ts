import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { type CommittedEvent, queryNewestCommittedEvents } from "#shared/query/committed-events";
import type { CsvColumns } from "#shared/query/csv";
import { EventTypeField, WhenField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput } from "./query-command";
import { withQuerySource } from "./query-source";
import { eventQueries } from "./query-stores";
import { formatEvents, subjectOf } from "./render-events";
import { type FormatOptions, outputFormat, tableWriter } from "./table-output";

export interface EventsCommandOptions extends FormatOptions {
  stateDir: string;
  since?: string;
  type: string[];
  limit: number;
}

export const EVENT_COLUMNS: CsvColumns<CommittedEvent> = [
  ["committedAt", (e) => e.changeSet.committedAt],
  ["eventId", (e) => e.eventId],
  ["type", (e) => e.type],
  ["severity", (e) => e.severity],
  ["group", (e) => e.group],
  ["subjectKey", (e) => e.subject.key],
  ["subject", (e) => subjectOf(e)],
  ["added", (e) => e.added],
  ["removed", (e) => e.removed],
  ["runId", (e) => e.runId],
  ["changeSetId", (e) => e.changeSet.changeSetId],
  ["sequence", (e) => e.changeSet.sequence],
  ["state", (e) => e.changeSet.state],
  ["reason", (e) => e.reason],
];

const EventsInput = z.object({ since: WhenField.optional(), type: z.array(EventTypeField) });

/**
 * `driftwatch events`:
 * 1. Validate `--since` and `--type`.
 * 2. Ask for the committed events of those types since then, the newest `limit`
 *    (`queryNewestCommittedEvents`: the change sets are read page by page).
 * 3. Print them, newest first.
 */
export async function runEventsCommand(
  options: EventsCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("events", output, async () => {
    const format = outputFormat(options);
    const input = parseQueryInput(EventsInput, { since: options.since, type: options.type });
    return withQuerySource(options, env, async (source) => {
      const question = {
        ...(input.since !== undefined ? { since: input.since.start } : {}),
        types: input.type,
        limit: options.limit,
      };
      const answer =
        source.kind === "api"
          ? await (await import("#cli/api/audit-answers")).apiNewestCommittedEvents(
              source.client,
              question,
            )
          : await queryNewestCommittedEvents({ events: eventQueries(source.runtime) }, question);
      if (format === "text") {
        output.stdout(formatEvents(answer.events, answer.total, source.where));
        return EXIT_OK;
      }
      const writer = tableWriter(
        format,
        { name: "events", columns: EVENT_COLUMNS, text: () => "", textEmpty: "" },
        output,
      );
      writer.rows(answer.events);
      writer.end({ total: answer.total });
      return EXIT_OK;
    });
  });
}
