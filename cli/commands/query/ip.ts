import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { CsvColumns } from "#shared/query/csv";
import { type IpHostUse, queryIpUse } from "#shared/query/ip-use";
import { IpAddressField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput } from "./query-command";
import { withQuerySource } from "./query-source";
import { formatIpUse } from "./render-ip-use";
import { type FormatOptions, outputFormat, tableWriter } from "./table-output";

export interface IpCommandOptions extends FormatOptions {
  stateDir: string;
  catalogue: string;
}

/** `ip --csv`: one row per hostname that used the IP. */
export const IP_HOST_COLUMNS: CsvColumns<IpHostUse> = [
  ["hostname", (h) => h.hostname],
  ["family", (h) => h.family],
  ["firstSeen", (h) => h.firstSeen],
  ["firstRunId", (h) => h.firstRunId],
  ["current", (h) => h.current],
  ["lastSeen", (h) => h.lastSeen],
  ["leftAt", (h) => h.leftAt],
  ["endpointIds", (h) => h.catalogue.map((doc) => doc.endpointId)],
  ["catalogue", (h) => h.catalogue.map((doc) => doc.status)],
];

/**
 * `driftwatch ip IP`:
 * 1. Validate and canonicalise the IP; load the catalogue.
 * 2. Ask which hostnames ever had it and what the catalogue documents for it (`queryIpUse`).
 * 3. Print the answer.
 */
export async function runIpCommand(
  ipArgument: string,
  options: IpCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("ip", output, async () => {
    const format = outputFormat(options);
    const { ip } = parseQueryInput(z.object({ ip: IpAddressField }), { ip: ipArgument });
    const catalogue = await loadCatalogueFile(options.catalogue);
    return withQuerySource(options, env, async (source) => {
      const answer =
        source.kind === "api"
          ? await (await import("#cli/api/audit-answers")).apiIpUse(source.client, ip)
          : await queryIpUse(
              {
                observations: createDynamoObservationStore({
                  documents: source.runtime.clients.documents,
                  tableName: source.runtime.tableName,
                }),
              },
              { catalogue, ip },
            );
      if (format === "text") {
        output.stdout(formatIpUse(answer, source.where));
        return EXIT_OK;
      }
      const writer = tableWriter(
        format,
        { name: "hosts", head: { ip }, columns: IP_HOST_COLUMNS, text: () => "", textEmpty: "" },
        output,
      );
      writer.rows(answer.hosts);
      writer.end({ documentedFor: answer.documentedFor });
      return EXIT_OK;
    });
  });
}
