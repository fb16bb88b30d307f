import type { Command } from "commander";
import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/runtime";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { DEFAULT_CATALOGUE_PATH, loadCatalogueFile } from "#shared/catalogue/load";
import { queryIpUse } from "#shared/query/ip-use";
import { IpAddressField } from "#shared/query/query-fields";
import { answerQuery, parseQueryInput, type QueryOutput, withQueryStore } from "./query-command";
import { formatIpUse } from "./render-ip-use";

export interface IpCommandOptions {
  stateDir: string;
  catalogue: string;
  json?: boolean;
}

/** `driftwatch ip IP`. */
export function registerIpCommand(program: Command): void {
  program
    .command("ip")
    .description(
      "Which hostnames ever resolved to an IP: first seen, whether still observed, and what the catalogue documents for it",
    )
    .argument("<ip>", "an IPv4 or IPv6 address")
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option("--json", "machine-readable output")
    .action(async (ip: string, options: IpCommandOptions) => {
      process.exitCode = await runIpCommand(ip, options, processOutput);
    });
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
