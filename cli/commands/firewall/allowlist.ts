import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { allowlistFile, currentVersion } from "#shared/query/firewall-feed/feed-queries";
import { withFeed } from "./feed-store";

export interface AllowlistCommandOptions {
  stateDir: string;
  catalogue: string;
  json?: boolean;
}

const GROUP = /^[a-z0-9][a-z0-9-]*$/;

/** `driftwatch allowlist GROUP [--json]`: the group's EDL (or JSON) exactly as written. */
export async function runAllowlistCommand(
  group: string,
  options: AllowlistCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("allowlist", output, async () => {
    if (!GROUP.test(group)) {
      throw new QueryInputError(
        `GROUP: ${JSON.stringify(group)} is not a group name (a lower-case slug)`,
      );
    }
    const catalogue = await loadCatalogueFile(options.catalogue);
    const text = await withFeed(
      { stateDir: options.stateDir, catalogueId: catalogue.id },
      env,
      async (deps) => {
        const bytes = await allowlistFile(deps, group, options.json === true ? "json" : "txt");
        if (bytes !== null) return new TextDecoder().decode(bytes);
        const known = Object.keys((await currentVersion(deps)).groups).sort();
        const groups = new Set(catalogue.endpoints.map((e) => e.group));
        throw new QueryInputError(
          `GROUP: no allowlist for group ${JSON.stringify(group)}${groups.has(group) ? " yet (run `driftwatch detect`)" : ""}; allowlists: ${known.join(", ") || "none"}`,
        );
      },
    );
    output.stdout(text);
    return EXIT_OK;
  });
}
