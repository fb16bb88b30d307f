import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import {
  changesSince,
  type FirewallFeedDeps,
  MAX_CHANGES_LIMIT,
  VersionAheadError,
} from "#shared/query/firewall-feed/feed-queries";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import { catalogueIdOf, withFeed } from "./feed-store";

export interface ChangesSinceVersionOptions {
  stateDir: string;
  /** A catalogue JSON file, or a catalogue id. */
  catalogue: string;
  sinceVersion: string;
  json?: boolean;
}

/** The answer: every change after `since`, through `version` (the body of `GET /changes`). */
export interface ChangesSinceVersion {
  catalogueId: string;
  since: number;
  version: number;
  changes: AllowlistChange[];
}

/** A whole number N ≥ 0 as `--since-version` takes it; throws naming the value. */
export function parseSinceVersion(text: string): number {
  const since = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(since)) {
    throw new QueryInputError(
      `--since-version: must be a whole number (0 for every change), not ${JSON.stringify(text)}`,
    );
  }
  return since;
}

/**
 * `driftwatch changes --since-version N [--json]`:
 * 1. Validate N; resolve the catalogue id.
 * 2. Read every page of the changes after N (`changesSince`, as `GET /changes?since=N` pages).
 * 3. Print them oldest first, or one JSON document (`GET /changes`' body without `next`).
 * N after the current version is an error naming both (a store reset, or a typo).
 */
export async function runChangesSinceVersion(
  options: ChangesSinceVersionOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("changes", output, async () => {
    const since = parseSinceVersion(options.sinceVersion);
    const catalogueId = await catalogueIdOf(options.catalogue);
    const answer = await withFeed(
      { stateDir: options.stateDir, catalogueId, bucket: false },
      env,
      (deps) => allChangesSince(deps, since),
    ).catch((error: unknown) => {
      if (error instanceof VersionAheadError) {
        throw new QueryInputError(
          `--since-version: ${since} is after the current allowlist version ${error.version} of catalogue ${catalogueId}`,
        );
      }
      throw error;
    });
    output.stdout(
      options.json === true ? `${JSON.stringify(answer, null, 2)}\n` : formatChanges(answer),
    );
    return EXIT_OK;
  });
}

/**
 * Every page of the changes after `since`. The versions must follow one another: a change the
 * version counts but the store does not hold is an error naming it, never a silent gap.
 */
export async function allChangesSince(
  deps: FirewallFeedDeps,
  since: number,
): Promise<ChangesSinceVersion> {
  const changes: AllowlistChange[] = [];
  let from: number | null = since;
  let version = 0;
  while (from !== null) {
    const page = await changesSince(deps, { since: from, limit: MAX_CHANGES_LIMIT });
    version = page.version;
    const expected = since + changes.length + 1;
    const gap = page.changes.findIndex((change, i) => change.version !== expected + i);
    if (gap >= 0 || (page.changes.length === 0 && page.next !== null)) {
      throw new Error(
        `allowlist change ${expected + Math.max(gap, 0)} of catalogue ${deps.catalogueId} is missing below version ${version}`,
      );
    }
    changes.push(...page.changes);
    from = page.next;
  }
  if (changes.length !== version - since) {
    throw new Error(
      `allowlist change ${since + changes.length + 1} of catalogue ${deps.catalogueId} is missing below version ${version}`,
    );
  }
  return { catalogueId: deps.catalogueId, since, version, changes };
}

function formatChanges({ catalogueId, since, version, changes }: ChangesSinceVersion): string {
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
