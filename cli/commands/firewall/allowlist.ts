import { answerQuery, QueryInputError, type QueryOutput } from "#cli/commands/query/query-command";
import { EXIT_OK } from "#cli/exit-codes";
import {
  type AllowlistFormat,
  allowlistFile,
  currentVersion,
} from "#shared/query/firewall-feed/feed-queries";
import { catalogueIdOf, withFeed } from "./feed-store";

export interface AllowlistCommandOptions {
  stateDir: string;
  /** A catalogue JSON file, or a catalogue id (only to list the groups when one is missing). */
  catalogue: string;
  /** `txt` (the EDL) or `json`. */
  format: string;
}

const GROUP = /^[a-z0-9][a-z0-9-]*$/;
const FORMATS: readonly AllowlistFormat[] = ["txt", "json", "domains"];

/**
 * `driftwatch allowlist GROUP [--format txt|json]`: the group's allowlist file exactly as the
 * last cycle wrote it (the bytes `GET /allowlists/{group}.txt|.json` serves).
 */
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
    const format = FORMATS.find((f) => f === options.format);
    if (format === undefined) {
      throw new QueryInputError(
        `--format: must be txt or json, not ${JSON.stringify(options.format)}`,
      );
    }
    const catalogueId = await catalogueIdOf(options.catalogue);
    const text = await withFeed({ stateDir: options.stateDir, catalogueId }, env, async (deps) => {
      const bytes = await allowlistFile(deps, group, format);
      if (bytes !== null) return new TextDecoder().decode(bytes);
      const known = Object.keys((await currentVersion(deps)).groups).sort();
      throw new QueryInputError(
        `GROUP: no allowlist written for group ${JSON.stringify(group)}; groups with one: ${known.join(", ") || "none yet (run `driftwatch detect`)"}`,
      );
    });
    output.stdout(text);
    return EXIT_OK;
  });
}
