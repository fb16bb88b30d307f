import { resolve } from "node:path";
import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { writeFileAtomically } from "#shared/adapters/local/atomic-file";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { gatherAuditReport } from "#shared/query/audit-report/gather-audit-report";
import { renderAuditReport } from "#shared/query/audit-report/html/render-audit-report";
import { WhenField } from "#shared/query/query-fields";
import {
  answerQuery,
  parseQueryInput,
  QueryInputError,
  type QueryOutput,
  withQueryStore,
} from "./query-command";

export interface ReportCommandOptions {
  html: string;
  from?: string;
  to?: string;
  runs: number;
  limit: number;
  catalogue: string;
  stateDir: string;
}

const ReportInput = z.object({ from: WhenField.optional(), to: WhenField.optional() });

/**
 * `driftwatch report --html FILE`:
 * 1. Validate `--from` and `--to` (the start of the first, the end of the second); load the
 *    catalogue.
 * 2. Gather the period's statuses, timelines, events, notifications and feed versions
 *    (`gatherAuditReport`), render them as one self-contained page, write it whole.
 */
export async function runReportCommand(
  options: ReportCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
): Promise<number> {
  return answerQuery("report", output, async () => {
    const input = parseQueryInput(ReportInput, { from: options.from, to: options.to });
    const from = input.from?.start;
    const to = input.to?.end;
    if (from !== undefined && to !== undefined && from > to) {
      throw new QueryInputError(`--from ${options.from} is after --to ${options.to}`);
    }
    const catalogue = await loadCatalogueFile(options.catalogue);
    return withQueryStore(options.stateDir, env, async (runtime) => {
      const table = { documents: runtime.clients.documents, tableName: runtime.tableName };
      const report = await gatherAuditReport(
        {
          observations: createDynamoObservationStore(table),
          events: createDynamoEventStore(table),
          feedPointers: createDynamoFeedPointerStore(table),
        },
        {
          catalogue,
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          now: now().toISOString(),
          runsPerHostname: options.runs,
          listLimit: options.limit,
        },
      );
      const path = resolve(options.html);
      await writeFileAtomically(path, renderAuditReport(report));
      const counts = `${report.endpoints.length} endpoints, ${report.timelines.length} timelines, ${report.eventsTotal} events, ${report.notifications.length} notifications`;
      output.stdout(`driftwatch report: wrote ${path} (${counts}) from ${runtime.where}\n`);
      return EXIT_OK;
    });
  });
}
