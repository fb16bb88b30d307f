import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { z } from "zod";
import { EXIT_ERROR } from "#cli/exit-codes";
import { type CommandOutput, describeError } from "#cli/options";
import { openRuntime, type Runtime } from "#cli/runtime";

/**
 * What the auditor queries (`driftwatch history`, `ip`, `events`) share: they read the store
 * `driftwatch detect` writes (the embedded one in the state directory, or the AWS table) through
 * the use cases of shared/query, and write nothing.
 */

/** Where a command writes; the CLI passes the process streams, tests pass collectors. */
export type QueryOutput = CommandOutput;

/** The query cannot be asked as given (a malformed IP or date, a hostname never observed...). */
export class QueryInputError extends Error {
  override name = "QueryInputError";
}

/** The arguments and options as `driftwatch --help` names them, for the messages. */
const OPTION_NAMES: Record<string, string> = {
  hostname: "HOSTNAME",
  ip: "IP",
  at: "--at",
  from: "--from",
  to: "--to",
  since: "--since",
  type: "--type",
};

/** Validates a command's arguments; the first issue, prefixed with its option, is the error. */
export function parseQueryInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const key = String(issue?.path[0] ?? "");
  throw new QueryInputError(`${OPTION_NAMES[key] ?? key}: ${issue?.message ?? "invalid"}`, {
    cause: parsed.error,
  });
}

/** Runs a query command: its exit code, or the error said on stderr and exit 1. */
export async function answerQuery(
  command: string,
  output: QueryOutput,
  run: () => Promise<number>,
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    output.stderr(`driftwatch ${command}: ${describeQueryError(error)}\n`);
    return EXIT_ERROR;
  }
}

function describeQueryError(error: unknown): string {
  return error instanceof QueryInputError ? error.message : describeError(error);
}

/** Opens the store (`openStore`), runs `use` with it, and closes it whatever happens. */
export async function withQueryStore(
  stateDir: string,
  env: NodeJS.ProcessEnv,
  use: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  const runtime = await openStore(stateDir, env);
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Opens the store the detector wrote. In embedded mode a state directory without a store is a
 * mistake (a typo, the wrong working directory): say so instead of creating an empty one.
 */
async function openStore(stateDir: string, env: NodeJS.ProcessEnv): Promise<Runtime> {
  if (env.DRIFTWATCH_TABLE_NAME === undefined && !existsSync(join(resolve(stateDir), "dynamodb"))) {
    throw new QueryInputError(
      `no driftwatch state in ${stateDir}: run \`driftwatch detect\` first, or point --state-dir at the directory it used`,
    );
  }
  return openRuntime({ stateDir, env });
}
