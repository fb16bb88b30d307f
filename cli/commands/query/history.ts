import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import type { Runtime } from "#cli/runtime";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { queryHostnameAt } from "#shared/query/hostname-at";
import { queryHostnameHistory } from "#shared/query/hostname-history";
import { HostnameField, WhenField } from "#shared/query/query-fields";
import { runSummary } from "#shared/query/run-summary";
import type { When } from "#shared/query/when";
import {
  answerQuery,
  parseQueryInput,
  QueryInputError,
  type QueryOutput,
  withQueryStore,
} from "./query-command";
import { describeWhen, formatHistory, formatObservationAt } from "./render-observations";

export interface HistoryCommandOptions {
  stateDir: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO 8601 instant. */
  at?: string;
  from?: string;
  to?: string;
  limit: number;
  json?: boolean;
}

const HistoryInput = z
  .object({
    hostname: HostnameField,
    at: WhenField.optional(),
    from: WhenField.optional(),
    to: WhenField.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.at !== undefined && (input.from !== undefined || input.to !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["at"],
        message: "cannot be combined with --from or --to (--at asks for one point in time)",
      });
    }
    if (input.from !== undefined && input.to !== undefined && input.from.start > input.to.end) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: `${input.from.value} is after --to ${input.to.value}`,
      });
    }
  });

/**
 * `driftwatch history HOSTNAME`:
 * 1. Validate the hostname and the times.
 * 2. With `--at`, ask for the observation in effect then (`queryHostnameAt`); otherwise for the
 *    runs in the range, newest first, at most `limit` (`queryHostnameHistory`).
 * 3. Print the answer; a hostname never observed, or not yet at `--at`, is an error (exit 1).
 */
export async function runHistoryCommand(
  hostnameArgument: string,
  options: HistoryCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answerQuery("history", output, async () => {
    const input = parseQueryInput(HistoryInput, {
      hostname: hostnameArgument,
      at: options.at,
      from: options.from,
      to: options.to,
    });
    return withQueryStore(options.stateDir, env, async (runtime) => {
      output.stdout(
        input.at !== undefined
          ? await answerAt(runtime, input.hostname, input.at, options)
          : await answerRuns(runtime, { ...input, limit: options.limit }, options),
      );
      return EXIT_OK;
    });
  });
}

function observationStore(runtime: Runtime) {
  return createDynamoObservationStore({
    documents: runtime.clients.documents,
    tableName: runtime.tableName,
  });
}

function neverObserved(hostname: string, runtime: Runtime): QueryInputError {
  return new QueryInputError(
    `${hostname} has never been observed in ${runtime.where} (only catalogued hostnames are resolved: check the spelling, or run \`driftwatch detect\` first)`,
  );
}

async function answerAt(
  runtime: Runtime,
  hostname: string,
  at: When,
  options: HistoryCommandOptions,
): Promise<string> {
  const answer = await queryHostnameAt(
    { observations: observationStore(runtime) },
    { hostname, at: at.value },
  );
  if (answer.status === "never-observed") throw neverObserved(hostname, runtime);
  if (answer.status === "not-yet-observed") {
    throw new QueryInputError(
      `${hostname} was not observed yet at ${describeWhen(at)}: it is tracked since ${answer.trackedSince}`,
    );
  }
  const { observation } = answer;
  return options.json
    ? `${JSON.stringify({ hostname, at: at.value, observation }, null, 2)}\n`
    : formatObservationAt(observation, at);
}

async function answerRuns(
  runtime: Runtime,
  input: { hostname: string; from?: When; to?: When; limit: number },
  options: HistoryCommandOptions,
): Promise<string> {
  const { hostname } = input;
  const answer = await queryHostnameHistory(
    { observations: observationStore(runtime) },
    {
      hostname,
      ...(input.from !== undefined ? { from: input.from.value } : {}),
      ...(input.to !== undefined ? { to: input.to.value } : {}),
      limit: input.limit,
    },
  );
  if (answer.status === "never-observed") throw neverObserved(hostname, runtime);
  const { runs, total } = answer;
  if (!options.json) return formatHistory(hostname, runs, total);
  const json = {
    hostname,
    from: input.from?.value ?? null,
    to: input.to?.value ?? null,
    total,
    more: total === null,
    runs: runs.map(runSummary),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
