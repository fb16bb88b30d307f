import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import type { CsvColumns } from "#shared/query/csv";
import {
  type NotificationMessage,
  notificationMessages,
  notificationPages,
} from "#shared/query/notifications";
import { WhenField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput } from "./query-command";
import { withQuerySource } from "./query-source";
import { eventQueries } from "./query-stores";
import { type FormatOptions, outputFormat, tableWriter } from "./table-output";

export interface NotificationsCommandOptions extends FormatOptions {
  stateDir: string;
  /** `YYYY-MM-DD` (the start of that UTC day) or an ISO 8601 instant. */
  since?: string;
}

const NotificationsInput = z.object({ since: WhenField.optional() });

export const NOTIFICATION_COLUMNS: CsvColumns<NotificationMessage> = [
  ["sentAt", (n) => n.sentAt],
  ["topicArn", (n) => n.topicArn],
  ["messageId", (n) => n.messageId],
  ["subject", (n) => n.subject],
  ["severity", (n) => n.severity],
  ["eventIds", (n) => n.eventIds],
  ["changeSetId", (n) => n.changeSetId],
  ["subjectKey", (n) => n.subjectKey],
  ["group", (n) => n.group],
  ["sequence", (n) => n.sequence],
  ["part", (n) => n.part],
  ["runId", (n) => n.runId],
];

/**
 * `driftwatch notifications [--since T]`:
 * 1. Validate `--since`.
 * 2. Read the published change sets page by page, in publishing order (`notificationPages`).
 * 3. Print each SNS message they went out as (`notificationMessages`), page by page.
 */
export async function runNotificationsCommand(
  options: NotificationsCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("notifications", output, async () => {
    const format = outputFormat(options);
    const input = parseQueryInput(NotificationsInput, { since: options.since });
    const since = input.since?.start;
    return withQuerySource(options, env, async (source) => {
      const writer = tableWriter(
        format,
        {
          name: "notifications",
          head: { since: since ?? null },
          columns: NOTIFICATION_COLUMNS,
          textHeading: `the notifications published${since !== undefined ? ` since ${since}` : ""}, oldest first\n\n`,
          text: formatNotifications,
          textEmpty: `no notification published${since !== undefined ? ` since ${since}` : ""} in ${source.where}\n`,
        },
        output,
      );
      const question = since !== undefined ? { since } : {};
      const pages =
        source.kind === "api"
          ? (await import("#cli/api/audit-answers")).apiNotificationPages(source.client, question)
          : notificationPages({ events: eventQueries(source.runtime) }, question);
      for await (const page of pages) writer.rows(page.flatMap(notificationMessages));
      writer.end();
      return EXIT_OK;
    });
  });
}

function formatNotifications(messages: readonly NotificationMessage[]): string {
  const lines = messages.flatMap((m) => [
    `${m.sentAt}  ${m.severity.padEnd(6)}  ${m.subject ?? "(message not recorded)"}`,
    `    topic ${m.topicArn ?? "-"}  message ${m.messageId ?? "-"}${m.part !== null ? `  part ${m.part}` : ""}  ${m.subjectKey} #${m.sequence}`,
    `    events ${m.eventIds.join(" ")}`,
  ]);
  return `${lines.join("\n")}\n`;
}
