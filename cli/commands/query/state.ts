import { z } from "zod";
import { EXIT_OK } from "#cli/exit-codes";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { CsvColumns } from "#shared/query/csv";
import { WhenField } from "#shared/query/query-fields";
import { ENDPOINT_STATUSES, type EndpointState, queryStateAt } from "#shared/query/state-at";
import { answerQuery, parseQueryInput, type QueryOutput } from "./query-command";
import { withQuerySource } from "./query-source";
import { eventQueries, observationQueries } from "./query-stores";
import { describeWhen } from "./render-observations";
import { type FormatOptions, outputFormat, tableWriter } from "./table-output";

export interface StateCommandOptions extends FormatOptions {
  stateDir: string;
  catalogue: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO 8601 instant; now when omitted. */
  at?: string;
}

const StateInput = z.object({ at: WhenField.optional() });

export const STATE_COLUMNS: CsvColumns<EndpointState> = [
  ["endpointId", (s) => s.endpointId],
  ["hostname", (s) => s.hostname],
  ["group", (s) => s.group],
  ["service", (s) => s.service],
  ["policy", (s) => s.policy],
  ["status", (s) => s.status],
  ["since", (s) => s.since],
  ["runId", (s) => s.runId],
  ["observedAt", (s) => s.observedAt],
  ["outcome", (s) => s.outcome],
  ["consecutiveFailures", (s) => s.consecutiveFailures],
  ["observed", (s) => s.observed],
  ["observedSetSince", (s) => s.observedSetSince],
  ["suspicious", (s) => s.suspicious.map((answer) => `${answer.ip}(${answer.range})`)],
  ["openEventIds", (s) => s.openEvents.map((event) => event.eventId)],
];

/**
 * `driftwatch state [--at T]`:
 * 1. Validate `--at` (now when omitted); load the catalogue.
 * 2. Ask every endpoint's observed set and status in effect then (`queryStateAt`).
 * 3. Print one row per endpoint: for people, as JSON or as CSV.
 */
export async function runStateCommand(
  options: StateCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
): Promise<number> {
  return answerQuery("state", output, async () => {
    const format = outputFormat(options);
    const input = parseQueryInput(StateInput, { at: options.at });
    const at = input.at?.end ?? now().toISOString();
    return withQuerySource(options, env, async (source) => {
      const answer =
        source.kind === "api"
          ? await (await import("#cli/api/audit-answers")).apiStateAt(source.client, at)
          : await queryStateAt(
              {
                observations: observationQueries(source.runtime),
                events: eventQueries(source.runtime),
              },
              { catalogue: await loadCatalogueFile(options.catalogue), at },
            );
      const when = input.at !== undefined ? describeWhen(input.at) : `${at} (now)`;
      const writer = tableWriter(
        format,
        {
          name: "endpoints",
          head: { at },
          columns: STATE_COLUMNS,
          textHeading: `${summary(answer.endpoints)} at ${when}\n\n`,
          text: formatStates,
          textEmpty: "the catalogue has no endpoints\n",
        },
        output,
      );
      writer.rows(answer.endpoints);
      writer.end();
      return EXIT_OK;
    });
  });
}

function summary(states: readonly EndpointState[]): string {
  const counts = ENDPOINT_STATUSES.map(
    (status) => [status, states.filter((s) => s.status === status).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  return `${states.length} endpoints: ${counts.join(", ")}`;
}

function formatStates(states: readonly EndpointState[]): string {
  const name = (s: EndpointState) => s.hostname ?? s.endpointId;
  const width = (field: (s: EndpointState) => string) =>
    Math.max(...states.map((s) => field(s).length));
  const [statusWidth, sinceWidth, nameWidth, groupWidth] = [
    width((s) => s.status),
    width((s) => s.since ?? "-"),
    width(name),
    width((s) => s.group),
  ];
  const lines = [
    [
      "STATUS".padEnd(statusWidth),
      "SINCE".padEnd(sinceWidth),
      "ENDPOINT".padEnd(nameWidth),
      "GROUP".padEnd(groupWidth),
      "OBSERVED",
    ].join("  "),
  ];
  for (const s of states) {
    const notes = [
      ...s.suspicious.map((answer) => `suspicious ${answer.ip} (${answer.range})`),
      ...s.openEvents.map((event) => `${event.type} ${event.ips.join(" ")}`),
      s.consecutiveFailures > 0 ? `${s.outcome} ×${s.consecutiveFailures}` : "",
    ].filter((note) => note !== "");
    lines.push(
      [
        s.status.padEnd(statusWidth),
        (s.since ?? "-").padEnd(sinceWidth),
        name(s).padEnd(nameWidth),
        s.group.padEnd(groupWidth),
        [s.observed.join(" ") || "-", ...notes.map((note) => `[${note}]`)].join("  "),
      ]
        .join("  ")
        .trimEnd(),
    );
  }
  return `${lines.join("\n")}\n`;
}
