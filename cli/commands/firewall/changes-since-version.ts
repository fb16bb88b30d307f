import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { changesSince, MAX_CHANGES_LIMIT } from "#shared/query/firewall-feed/feed-queries";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import { withFeed } from "./feed-store";

export interface ChangesSinceVersionOptions {
  stateDir: string;
  catalogue: string;
  sinceVersion: string;
  json?: boolean;
}

/**
 * `driftwatch changes --since-version N`: every allowlist change after version N, oldest
 * first (all pages), as text or one JSON document (the shape of `GET /changes?since=N`,
 * without `next`).
 */
export async function runChangesSinceVersion(
  options: ChangesSinceVersionOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("changes", output, async () => {
    if (!/^\d{1,15}$/.test(options.sinceVersion)) {
      throw new QueryInputError(
        `--since-version: must be a whole number, not ${JSON.stringify(options.sinceVersion)}`,
      );
    }
    const since = Number(options.sinceVersion);
    const catalogue = await loadCatalogueFile(options.catalogue);
    const { version, changes } = await withFeed(
      { stateDir: options.stateDir, catalogueId: catalogue.id },
      env,
      async (deps) => {
        const all: AllowlistChange[] = [];
        let from: number | null = since;
        let current = 0;
        while (from !== null) {
          const page = await changesSince(deps, { since: from, limit: MAX_CHANGES_LIMIT });
          all.push(...page.changes);
          current = page.version;
          from = page.next;
        }
        return { version: current, changes: all };
      },
    ).catch((error: unknown) => {
      if (error instanceof Error && error.name === "VersionAheadError") {
        throw new QueryInputError(`--since-version: ${error.message}`);
      }
      throw error;
    });
    if (options.json === true) {
      const document = { catalogueId: catalogue.id, since, version, changes };
      output.stdout(`${JSON.stringify(document, null, 2)}\n`);
      return EXIT_OK;
    }
    output.stdout(formatChanges(catalogue.id, since, version, changes));
    return EXIT_OK;
  });
}

function formatChanges(
  catalogueId: string,
  since: number,
  version: number,
  changes: readonly AllowlistChange[],
): string {
  if (changes.length === 0) {
    return `no allowlist change after version ${since} (catalogue ${catalogueId} is at ${version})\n`;
  }
  const lines = [
    `allowlist changes after version ${since} (catalogue ${catalogueId} is at ${version})`,
    "",
  ];
  for (const change of changes) {
    const run = change.runId === null ? "" : `  run ${change.runId}`;
    lines.push(
      `v${change.version}  ${change.at}  ${change.group}  +${change.added.length} -${change.removed.length}${run}  (${change.eventIds.length} event(s))`,
      ...change.added.map((entry) => `    + ${entry}`),
      ...change.removed.map((entry) => `    - ${entry}`),
    );
  }
  return `${lines.join("\n")}\n`;
}
