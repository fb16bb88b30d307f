import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { type Change, changesBetween } from "#shared/query/changes-between";
import type { CsvColumns } from "#shared/query/csv";
import { WhenField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput } from "./query-command";
import { withQuerySource } from "./query-source";
import { eventQueries, observationQueries } from "./query-stores";
import { type FormatOptions, outputFormat, tableWriter } from "./table-output";

export interface ChangesCommandOptions extends FormatOptions {
  stateDir: string;
  catalogue: string;
  /** `YYYY-MM-DD` (the start of that UTC day) or an ISO 8601 instant. */
  from: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO 8601 instant; now when omitted. */
  to?: string;
}

const ChangesInput = z
  .object({ from: WhenField, to: WhenField.optional() })
  .superRefine((input, ctx) => {
    if (input.to !== undefined && input.from.start > input.to.end) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: `${input.from.value} is after --to ${input.to.value}`,
      });
    }
  });

export const CHANGE_COLUMNS: CsvColumns<Change> = [
  ["observedAt", (c) => c.observedAt],
  ["kind", (c) => c.kind],
  ["hostname", (c) => (c.kind === "hostname" ? c.hostname : null)],
  ["feed", (c) => (c.kind === "feed" ? c.feed : null)],
  ["group", (c) => (c.kind === "hostname" ? c.groups : c.group)],
  ["endpointIds", (c) => (c.kind === "hostname" ? c.endpointIds : null)],
  ["change", (c) => c.change],
  ["value", (c) => (c.kind === "hostname" ? c.ip : c.prefix)],
  ["service", (c) => (c.kind === "feed" ? c.service : null)],
  ["region", (c) => (c.kind === "feed" ? c.region : null)],
  ["runId", (c) => c.runId],
  ["previous", (c) => c.previous],
  ["current", (c) => c.current],
];

/**
 * `driftwatch changes --from T1 [--to T2]`:
 * 1. Validate the times (`--to` now when omitted, not before `--from`); load the catalogue.
 * 2. Stream what entered and left each catalogued hostname's observed set, then each feed
 *    group's published ranges, page by page (`changesBetween`).
 * 3. Print each page as it comes: for people, as JSON or as CSV.
 */
export async function runChangesCommand(
  options: ChangesCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
): Promise<number> {
  return answerQuery("changes", output, async () => {
    const format = outputFormat(options);
    const input = parseQueryInput(ChangesInput, { from: options.from, to: options.to });
    const from = input.from.start;
    const to = input.to?.end ?? now().toISOString();
    return withQuerySource(options, env, async (source) => {
      const writer = tableWriter(
        format,
        {
          name: "changes",
          head: { from, to },
          columns: CHANGE_COLUMNS,
          textHeading: `what entered (+) and left (-) from ${from} to ${to}\n\n`,
          text: formatChanges,
          textEmpty: `nothing entered or left from ${from} to ${to}\n`,
        },
        output,
      );
      const pages =
        source.kind === "api"
          ? (await import("#cli/api/audit-answers")).apiChangesBetween(source.client, { from, to })
          : changesBetween(
              {
                observations: observationQueries(source.runtime),
                events: eventQueries(source.runtime),
              },
              { catalogue: await loadCatalogueFile(options.catalogue), from, to },
            );
      for await (const page of pages) writer.rows(page);
      writer.end();
      return EXIT_OK;
    });
  });
}

function formatChanges(changes: readonly Change[]): string {
  const lines = changes.map((c) => {
    const sign = c.change === "entered" ? "+" : "-";
    if (c.kind === "hostname") {
      return `${c.observedAt}  ${c.hostname}  ${sign}${c.ip}  run ${c.runId}  [${c.previous.join(" ")}] → [${c.current.join(" ")}]  (${c.groups.join(", ")})`;
    }
    return `${c.observedAt}  feed ${c.feed} for group ${c.group ?? "(none)"}  ${sign}${c.prefix} (${c.service} ${c.region})  run ${c.runId}  ${c.previous ?? "?"} → ${c.current ?? "?"}`;
  });
  return `${lines.join("\n")}\n`;
}
