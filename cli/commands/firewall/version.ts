import { answerQuery, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { currentVersion } from "#shared/query/firewall-feed/feed-queries";
import { withFeed } from "./feed-store";

export interface VersionCommandOptions {
  stateDir: string;
  catalogue: string;
  json?: boolean;
}

/** `driftwatch version`: the catalogue's allowlist version and what each group is at. */
export async function runVersionCommand(
  options: VersionCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("version", output, async () => {
    const catalogue = await loadCatalogueFile(options.catalogue);
    const view = await withFeed(
      { stateDir: options.stateDir, catalogueId: catalogue.id },
      env,
      currentVersion,
    );
    if (options.json === true) {
      output.stdout(`${JSON.stringify(view, null, 2)}\n`);
      return EXIT_OK;
    }
    const groups = Object.entries(view.groups).sort(([a], [b]) => (a < b ? -1 : 1));
    const width = Math.max(5, ...groups.map(([group]) => group.length));
    output.stdout(
      [
        `allowlist version ${view.version} of catalogue ${view.catalogueId}${view.updatedAt === null ? " (no allowlist change yet)" : `, last changed ${view.updatedAt}`}`,
        ...(groups.length === 0
          ? []
          : [
              "",
              `  ${"GROUP".padEnd(width)}  CHANGED IN  CONTENT SHA256`,
              ...groups.map(
                ([group, at]) =>
                  `  ${group.padEnd(width)}  ${String(at.version).padEnd(10)}  ${at.contentSha256.slice(0, 12)}`,
              ),
            ]),
        "",
      ].join("\n"),
    );
    return EXIT_OK;
  });
}
