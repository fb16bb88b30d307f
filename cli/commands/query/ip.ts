import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { queryIpUse } from "#shared/query/ip-use";
import { IpAddressField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput, withQueryStore } from "./query-command";
import { formatIpUse } from "./render-ip-use";

export interface IpCommandOptions {
  stateDir: string;
  catalogue: string;
  json?: boolean;
}

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
    const { ip } = parseQueryInput(z.object({ ip: IpAddressField }), { ip: ipArgument });
    const catalogue = await loadCatalogueFile(options.catalogue);
    return withQueryStore(options.stateDir, env, async (runtime) => {
      const observations = createDynamoObservationStore({
        documents: runtime.clients.documents,
        tableName: runtime.tableName,
      });
      const answer = await queryIpUse({ observations }, { catalogue, ip });
      output.stdout(
        options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatIpUse(answer, runtime.where),
      );
      return EXIT_OK;
    });
  });
}
