import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { ObservedIp } from "#shared/domain/observation";
import type { CsvColumns } from "#shared/query/csv";
import { queryHostnameAt } from "#shared/query/hostname-at";
import { queryHostnameHistory } from "#shared/query/hostname-history";
import { HostnameField, WhenField } from "#shared/query/query-fields";
import { type RunSummary, runSummary } from "#shared/query/run-summary";
import type { When } from "#shared/query/when";
import { answerQuery, parseQueryInput, QueryInputError, type QueryOutput } from "./query-command";
import { type QuerySource, withQuerySource } from "./query-source";
import { describeWhen, formatHistory, formatObservationAt } from "./render-observations";
import { type FormatOptions, type OutputFormat, outputFormat, tableWriter } from "./table-output";

export interface HistoryCommandOptions extends FormatOptions {
  stateDir: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO 8601 instant. */
  at?: string;
  from?: string;
  to?: string;
  limit: number;
}

export const RUN_COLUMNS: CsvColumns<RunSummary> = [
  ["observedAt", (r) => r.observedAt],
  ["runId", (r) => r.runId],
  ["outcome", (r) => r.outcome],
  ["consecutiveFailures", (r) => r.consecutiveFailures],
  ["observed", (r) => r.observed],
  ["entered", (r) => r.entered],
  ["left", (r) => r.left],
  ["suspicious", (r) => r.suspicious.map((s) => `${s.ip}(${s.range})`)],
];

/** `history --at --csv`: one row per IP of the observed set in effect. */
export const OBSERVED_IP_COLUMNS: CsvColumns<ObservedIp> = [
  ["ip", (ip) => ip.ip],
  ["family", (ip) => ip.family],
  ["firstSeen", (ip) => ip.firstSeen],
  ["lastSeen", (ip) => ip.lastSeen],
  ["timesSeen", (ip) => ip.timesSeen],
  ["resolvers", (ip) => ip.resolvers],
];

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
    const format = outputFormat(options);
    const input = parseQueryInput(HistoryInput, {
      hostname: hostnameArgument,
      at: options.at,
      from: options.from,
      to: options.to,
    });
    return withQuerySource(options, env, async (source) => {
      if (input.at !== undefined) {
        await answerAt(source, input.hostname, input.at, format, output);
      } else {
        await answerRuns(source, { ...input, limit: options.limit }, format, output);
      }
      return EXIT_OK;
    });
  });
}

function observationStore(source: Extract<QuerySource, { kind: "table" }>) {
  return createDynamoObservationStore({
    documents: source.runtime.clients.documents,
    tableName: source.runtime.tableName,
  });
}

function neverObserved(hostname: string, source: QuerySource): QueryInputError {
  return new QueryInputError(
    `${hostname} has never been observed in ${source.where} (only catalogued hostnames are resolved: check the spelling, or run \`driftwatch detect\` first)`,
  );
}

async function answerAt(
  source: QuerySource,
  hostname: string,
  at: When,
  format: OutputFormat,
  output: QueryOutput,
): Promise<void> {
  const question = { hostname, at: at.value };
  const answer =
    source.kind === "api"
      ? await (await import("#cli/api/audit-answers")).apiHostnameAt(source.client, question)
      : await queryHostnameAt({ observations: observationStore(source) }, question);
  if (answer.status === "never-observed") throw neverObserved(hostname, source);
  if (answer.status === "not-yet-observed") {
    throw new QueryInputError(
      `${hostname} was not observed yet at ${describeWhen(at)}: it is tracked since ${answer.trackedSince}`,
    );
  }
  const { observation } = answer;
  if (format === "text") output.stdout(formatObservationAt(observation, at));
  else if (format === "json") {
    output.stdout(`${JSON.stringify({ hostname, at: at.value, observation }, null, 2)}\n`);
  } else {
    const writer = tableWriter(
      "csv",
      { name: "observed", columns: OBSERVED_IP_COLUMNS, text: () => "", textEmpty: "" },
      output,
    );
    writer.rows(observation.active);
    writer.end();
  }
}

async function answerRuns(
  source: QuerySource,
  input: { hostname: string; from?: When; to?: When; limit: number },
  format: OutputFormat,
  output: QueryOutput,
): Promise<void> {
  const { hostname } = input;
  const question = {
    hostname,
    ...(input.from !== undefined ? { from: input.from.value } : {}),
    ...(input.to !== undefined ? { to: input.to.value } : {}),
    limit: input.limit,
  };
  const answer =
    source.kind === "api"
      ? await (await import("#cli/api/audit-answers")).apiHostnameHistory(source.client, question)
      : await queryHostnameHistory({ observations: observationStore(source) }, question);
  if (answer.status === "never-observed") throw neverObserved(hostname, source);
  const { runs, total } = answer;
  if (format === "text") {
    output.stdout(formatHistory(hostname, runs, total));
    return;
  }
  const writer = tableWriter(
    format,
    {
      name: "runs",
      head: { hostname, from: input.from?.value ?? null, to: input.to?.value ?? null },
      columns: RUN_COLUMNS,
      text: () => "",
      textEmpty: "",
    },
    output,
  );
  writer.rows(runs.map(runSummary));
  writer.end({ total, more: total === null });
}
