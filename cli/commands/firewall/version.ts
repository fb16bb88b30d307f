import { answerQuery, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { currentVersion, type VersionView } from "#shared/query/firewall-feed/feed-queries";
import { catalogueIdOf, withFeed } from "./feed-store";

export interface VersionCommandOptions {
  stateDir: string;
  /** A catalogue JSON file, or a catalogue id. */
  catalogue: string;
  json?: boolean;
}

/**
 * `driftwatch version [--json]`: the catalogue's allowlist version and the version each group
 * last changed in; `--json` prints the body of `GET /version`.
 */
export async function runVersionCommand(
  options: VersionCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("version", output, async () => {
    const catalogueId = await catalogueIdOf(options.catalogue);
    const view = await withFeed(
      { stateDir: options.stateDir, catalogueId, bucket: false },
      env,
      currentVersion,
    );
    output.stdout(options.json === true ? `${JSON.stringify(view, null, 2)}\n` : versionText(view));
    return EXIT_OK;
  });
}

function versionText(view: VersionView): string {
  const groups = Object.entries(view.groups).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const width = Math.max(5, ...groups.map(([group]) => group.length));
  const when =
    view.updatedAt === null ? " (no allowlist change yet)" : `, last changed ${view.updatedAt}`;
  return [
    `allowlist version ${view.version} of catalogue ${view.catalogueId}${when}`,
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
  ].join("\n");
}
