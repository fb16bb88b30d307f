import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { EXIT_ERROR, EXIT_OK } from "#cli/exit-codes";
import {
  type CommandOutput,
  describeError,
  positiveWholeNumber,
  processOutput,
} from "#cli/options";
import { DEFAULT_STATE_DIR, openRuntime, type Runtime } from "#cli/runtime";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { DEFAULT_CATALOGUE_PATH, loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  DRIFT_EVENT_TYPES,
  type DriftEvent,
  type DriftEventType,
} from "#shared/compare/drift-event";
import type { HostObservation, ObservedIp, ResolverAnswer } from "#shared/domain/observation";
import type { PublishState } from "#shared/notify/ports";
import type { IpSighting } from "#shared/observe/dns/observation-store";

/**
 * Auditor queries over what driftwatch recorded (`driftwatch history`, `ip`, `events`): what a
 * hostname resolved to at a time and run by run, which hostnames ever used an IP, and the
 * committed change events. They read the store `driftwatch detect` writes (the embedded one in
 * the state directory, or the AWS table) and write nothing.
 */

/** Where a command writes; the CLI passes the process streams, tests pass collectors. */
export type QueryOutput = CommandOutput;

export interface HistoryCommandOptions {
  stateDir: string;
  /** `YYYY-MM-DD` (the end of that UTC day) or an ISO 8601 instant. */
  at?: string;
  from?: string;
  to?: string;
  limit: number;
  json?: boolean;
}

export interface IpCommandOptions {
  stateDir: string;
  catalogue: string;
  json?: boolean;
}

export interface EventsCommandOptions {
  stateDir: string;
  since?: string;
  type: string[];
  limit: number;
  json?: boolean;
}

export const DEFAULT_HISTORY_LIMIT = 50;
export const DEFAULT_EVENTS_LIMIT = 100;

/** The query cannot be asked as given (a malformed IP or date, a hostname never observed...). */
export class QueryInputError extends Error {
  override name = "QueryInputError";
}

/** `driftwatch history`, `driftwatch ip` and `driftwatch events`. */
export function registerHistoryCommands(program: Command): void {
  program
    .command("history")
    .description(
      "What a hostname resolved to: with --at, the observed set in effect then and the run's answers; otherwise run by run, newest first",
    )
    .argument("<hostname>", "a catalogued hostname, e.g. applianceupdate.clearswift.com")
    .option("--at <date|iso>", "YYYY-MM-DD (the end of that UTC day) or an ISO 8601 instant")
    .option("--from <date|iso>", "runs at or after this (YYYY-MM-DD: the start of that UTC day)")
    .option("--to <date|iso>", "runs at or before this (YYYY-MM-DD: the end of that UTC day)")
    .option(
      "--limit <n>",
      "at most this many runs, the newest",
      positiveWholeNumber("--limit"),
      DEFAULT_HISTORY_LIMIT,
    )
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option("--json", "machine-readable output")
    .action(async (hostname: string, options: HistoryCommandOptions) => {
      process.exitCode = await runHistoryCommand(hostname, options, processOutput);
    });

  program
    .command("ip")
    .description(
      "Which hostnames ever resolved to an IP: first seen, whether still observed, and what the catalogue documents for it",
    )
    .argument("<ip>", "an IPv4 or IPv6 address")
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option("--json", "machine-readable output")
    .action(async (ip: string, options: IpCommandOptions) => {
      process.exitCode = await runIpCommand(ip, options, processOutput);
    });

  program
    .command("events")
    .description("The committed change events, newest first")
    .option("--since <date|iso>", "committed at or after this (YYYY-MM-DD: the start of that day)")
    .addOption(
      new Option(
        "--type <type>",
        `only this event type (repeatable): ${DRIFT_EVENT_TYPES.join(", ")}`,
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([] as string[], "every type"),
    )
    .option(
      "--limit <n>",
      "at most this many events, the newest",
      positiveWholeNumber("--limit"),
      DEFAULT_EVENTS_LIMIT,
    )
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option("--json", "machine-readable output")
    .action(async (options: EventsCommandOptions) => {
      process.exitCode = await runEventsCommand(options, processOutput);
    });
}

// ---------------------------------------------------------------------------------------------
// Input

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function isCalendarDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
  );
}

/** A point in time as the stores take it: `YYYY-MM-DD` as given, an instant normalised to UTC. */
export interface When {
  /** What to pass to the store. */
  value: string;
  /** Whether it is a whole UTC day. */
  day: boolean;
  /** The first and the last millisecond it covers (equal for an instant). */
  start: string;
  end: string;
}

/** Parses `YYYY-MM-DD` or an ISO 8601 instant with its zone; null when it is neither. */
export function parseWhen(text: string): When | null {
  const date = DATE.exec(text);
  if (date !== null) {
    const [, year = "", month = "", day = ""] = date;
    if (!isCalendarDate(year, month, day)) return null;
    return {
      value: text,
      day: true,
      start: `${text}T00:00:00.000Z`,
      end: `${text}T23:59:59.999Z`,
    };
  }
  const instant = INSTANT.exec(text);
  if (instant === null) return null;
  const [, year = "", month = "", day = ""] = instant;
  const time = Date.parse(text);
  if (!isCalendarDate(year, month, day) || Number.isNaN(time)) return null;
  const iso = new Date(time).toISOString();
  return { value: iso, day: false, start: iso, end: iso };
}

const WHEN_HINT = "YYYY-MM-DD or an ISO 8601 instant with its zone, e.g. 2026-08-21T12:00:00Z";

const WhenOption = z.string().transform((text, ctx) => {
  const when = parseWhen(text.trim());
  if (when === null) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(text)} is not a date (${WHEN_HINT})`,
    });
    return z.NEVER;
  }
  return when;
});

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const Hostname = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/\.$/, ""))
  .refine((name) => HOSTNAME.test(name), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a fully qualified hostname (e.g. applianceupdate.clearswift.com)`,
  });

/** An IPv4 address in dotted-decimal or an IPv6 address; canonical (RFC 5952) out. */
const IpAddress = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.parse(trimmed).toString();
  if (ipaddr.IPv6.isValid(trimmed) && !trimmed.includes("%")) {
    // An IPv4-mapped IPv6 address is the IPv4 address driftwatch records.
    return ipaddr.process(trimmed).toString();
  }
  ctx.addIssue({
    code: "custom",
    message: `${JSON.stringify(text)} is not an IP address (IPv4 dotted-decimal like 185.155.104.24, or IPv6)`,
  });
  return z.NEVER;
});

function isDriftEventType(type: string): type is DriftEventType {
  return (DRIFT_EVENT_TYPES as readonly string[]).includes(type);
}

const EventType = z.string().refine(isDriftEventType, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an event type (one of ${DRIFT_EVENT_TYPES.join(", ")})`,
});

const HistoryInput = z
  .object({
    hostname: Hostname,
    at: WhenOption.optional(),
    from: WhenOption.optional(),
    to: WhenOption.optional(),
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

const OPTION_NAMES: Record<string, string> = {
  hostname: "HOSTNAME",
  ip: "IP",
  at: "--at",
  from: "--from",
  to: "--to",
  since: "--since",
  type: "--type",
};

function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const key = String(issue?.path[0] ?? "");
  throw new QueryInputError(`${OPTION_NAMES[key] ?? key}: ${issue?.message ?? "invalid"}`, {
    cause: parsed.error,
  });
}

// ---------------------------------------------------------------------------------------------
// Commands

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

/** Opens the store (`openStore`), runs `use` with it, and closes it whatever happens. */
async function withStore(
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

async function answering(
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

/**
 * `driftwatch history HOSTNAME`:
 * 1. Validate the hostname and the times.
 * 2. Read the hostname's newest observation: none means it was never observed (exit 1).
 * 3. With `--at`, read the observation in effect then; otherwise the runs in the range, newest
 *    first, at most `limit`.
 */
export async function runHistoryCommand(
  hostnameArgument: string,
  options: HistoryCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answering("history", output, async () => {
    const input = parseInput(HistoryInput, {
      hostname: hostnameArgument,
      at: options.at,
      from: options.from,
      to: options.to,
    });
    return withStore(options.stateDir, env, async (runtime) => {
      const store = createDynamoObservationStore({
        documents: runtime.clients.documents,
        tableName: runtime.tableName,
      });
      const { hostname } = input;
      const latest = (await store.latestObservations([hostname])).get(hostname);
      if (latest === undefined) {
        throw new QueryInputError(
          `${hostname} has never been observed in ${runtime.where} (only catalogued hostnames are resolved: check the spelling, or run \`driftwatch detect\` first)`,
        );
      }
      if (input.at !== undefined) {
        const observation = await store.observationAt(hostname, input.at.value);
        if (observation === null) {
          throw new QueryInputError(
            `${hostname} was not observed yet at ${describeWhen(input.at)}: it is tracked since ${latest.trackedSince}`,
          );
        }
        output.stdout(
          options.json
            ? `${JSON.stringify({ hostname, at: input.at.value, observation }, null, 2)}\n`
            : formatObservationAt(observation, input.at),
        );
        return EXIT_OK;
      }
      // One more than shown, to tell whether older runs exist; the rest of the range is not read.
      const runs = await store.history(hostname, {
        ...(input.from !== undefined ? { from: input.from.value } : {}),
        ...(input.to !== undefined ? { to: input.to.value } : {}),
        limit: options.limit + 1,
      });
      const newestFirst = runs.reverse();
      const shown = newestFirst.slice(0, options.limit);
      const total = newestFirst.length > options.limit ? null : shown.length;
      output.stdout(
        options.json
          ? `${JSON.stringify(
              {
                hostname,
                from: input.from?.value ?? null,
                to: input.to?.value ?? null,
                total,
                more: total === null,
                runs: shown.map(runSummary),
              },
              null,
              2,
            )}\n`
          : formatHistory(hostname, shown, total),
      );
      return EXIT_OK;
    });
  });
}

/**
 * `driftwatch ip IP`:
 * 1. Validate and canonicalise the IP; load the catalogue.
 * 2. Read the IP index (every hostname that ever had it in its observed set).
 * 3. For each hostname, read its newest observation (still observed or left) and what the
 *    catalogue documents for the IP there.
 */
export async function runIpCommand(
  ipArgument: string,
  options: IpCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answering("ip", output, async () => {
    const ip = parseInput(z.object({ ip: IpAddress }), { ip: ipArgument }).ip;
    const catalogue = await loadCatalogueFile(options.catalogue);
    return withStore(options.stateDir, env, async (runtime) => {
      const store = createDynamoObservationStore({
        documents: runtime.clients.documents,
        tableName: runtime.tableName,
      });
      const sightings = await store.hostsForIp(ip);
      const latest = await store.latestObservations(sightings.map((s) => s.hostname));
      const answer = describeIpUse(catalogue, ip, sightings, latest);
      output.stdout(
        options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatIpUse(answer, runtime.where),
      );
      return EXIT_OK;
    });
  });
}

/**
 * `driftwatch events`:
 * 1. Validate `--since` and `--type`.
 * 2. Read the committed change sets (since then) and take their events.
 * 3. Keep the asked types; print the newest first, at most `limit`.
 */
export async function runEventsCommand(
  options: EventsCommandOptions,
  output: QueryOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return answering("events", output, async () => {
    const input = parseInput(z.object({ since: WhenOption.optional(), type: z.array(EventType) }), {
      since: options.since,
      type: options.type,
    });
    return withStore(options.stateDir, env, async (runtime) => {
      const store = createDynamoEventStore({
        documents: runtime.clients.documents,
        tableName: runtime.tableName,
      });
      const changeSets = await store.listChangeSets(
        input.since !== undefined ? { since: input.since.start } : {},
      );
      const types = new Set<string>(input.type);
      const events: CommittedEvent[] = changeSets
        .flatMap((changeSet) =>
          changeSet.events.map((event) => ({
            ...event,
            changeSet: {
              changeSetId: changeSet.changeSetId,
              sequence: changeSet.sequence,
              committedAt: changeSet.createdAt,
              state: changeSet.state,
            },
          })),
        )
        .filter((event) => types.size === 0 || types.has(event.type))
        .reverse();
      const shown = events.slice(0, options.limit);
      output.stdout(
        options.json
          ? `${JSON.stringify({ total: events.length, events: shown }, null, 2)}\n`
          : formatEvents(shown, events.length, runtime.where),
      );
      return EXIT_OK;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Answers (pure)

/** One run of a hostname's history, as `history --json` lists it. */
export interface RunSummary {
  observedAt: string;
  runId: string;
  outcome: HostObservation["outcome"];
  consecutiveFailures: number;
  /** The observed set after the run. */
  observed: string[];
  entered: string[];
  left: string[];
  suspicious: { ip: string; range: string }[];
}

export function runSummary(observation: HostObservation): RunSummary {
  return {
    observedAt: observation.observedAt,
    runId: observation.runId,
    outcome: observation.outcome,
    consecutiveFailures: observation.consecutiveFailures,
    observed: observation.active.map((ip) => ip.ip),
    entered: observation.entered,
    left: observation.left.map((ip) => ip.ip),
    suspicious: observation.suspicious.map((s) => ({ ip: s.ip, range: s.range })),
  };
}

/** What the catalogue says about an IP for one endpoint of a hostname. */
export interface IpDocumentation {
  endpointId: string;
  hostname: string | null;
  group: string;
  policy: string;
  status: "documented" | "pool" | "retired" | "published-ranges" | "undocumented";
  poolId?: string;
  retiredOn?: string;
  note?: string;
}

export interface IpHostUse {
  hostname: string;
  family: 4 | 6;
  /** When the IP first entered the hostname's observed set. */
  firstSeen: string;
  firstRunId: string;
  /** In the hostname's observed set as of its newest observation. */
  current: boolean;
  lastSeen: string | null;
  /** When it left the observed set, if it did. */
  leftAt: string | null;
  /** One entry per catalogue endpoint of the hostname; empty when it is not catalogued. */
  catalogue: IpDocumentation[];
}

export interface IpUse {
  ip: string;
  hosts: IpHostUse[];
  /** Endpoints the catalogue documents the IP for (directly, in their pool, or retired). */
  documentedFor: IpDocumentation[];
}

export function describeIpUse(
  catalogue: Catalogue,
  ip: string,
  sightings: readonly IpSighting[],
  latest: ReadonlyMap<string, HostObservation>,
): IpUse {
  const hosts = sightings
    .map((sighting): IpHostUse => {
      const observation = latest.get(sighting.hostname);
      const active = observation?.active.find((o) => o.ip === ip);
      const gone = observation?.departed.find((o) => o.ip === ip);
      return {
        hostname: sighting.hostname,
        family: sighting.family,
        firstSeen: sighting.firstSeen,
        firstRunId: sighting.runId,
        current: active !== undefined,
        lastSeen: (active ?? gone)?.lastSeen ?? null,
        leftAt: active === undefined ? (gone?.leftAt ?? null) : null,
        catalogue: catalogue.endpoints
          .filter((e) => e.hostname === sighting.hostname)
          .map((endpoint) => documentationOf(catalogue, endpoint.id, ip)),
      };
    })
    .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.hostname.localeCompare(b.hostname));
  const documentedFor = catalogue.endpoints
    .map((endpoint) => documentationOf(catalogue, endpoint.id, ip))
    .filter(
      (doc) => doc.status === "documented" || doc.status === "pool" || doc.status === "retired",
    );
  return { ip, hosts, documentedFor };
}

function documentationOf(catalogue: Catalogue, endpointId: string, ip: string): IpDocumentation {
  const endpoint = catalogue.endpoints.find((e) => e.id === endpointId);
  if (endpoint === undefined) throw new RangeError(`no endpoint ${endpointId}`);
  const base = {
    endpointId: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    policy: endpoint.policy,
  };
  const pool = catalogue.pools.find((p) => p.id === endpoint.pool);
  if (endpoint.ips.includes(ip)) return { ...base, status: "documented" };
  if (pool?.ips.includes(ip)) return { ...base, status: "pool", poolId: pool.id };
  const retired =
    endpoint.retiredIps.find((r) => r.ip === ip) ?? pool?.retiredIps.find((r) => r.ip === ip);
  if (retired !== undefined) {
    return {
      ...base,
      status: "retired",
      retiredOn: retired.retiredOn,
      ...(pool?.retiredIps.includes(retired) ? { poolId: pool.id } : {}),
      ...(retired.note !== undefined ? { note: retired.note } : {}),
    };
  }
  if (endpoint.policy === "cloudfront" || endpoint.policy === "aws-ip-ranges") {
    return { ...base, status: "published-ranges" };
  }
  return { ...base, status: "undocumented" };
}

export type CommittedEvent = DriftEvent & {
  changeSet: { changeSetId: string; sequence: number; committedAt: string; state: PublishState };
};

// ---------------------------------------------------------------------------------------------
// Rendering for people

function describeWhen(when: When): string {
  return when.day ? `${when.value} (the end of that UTC day)` : when.value;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function formatObservationAt(observation: HostObservation, at: When): string {
  const lines = [`${observation.hostname} at ${describeWhen(at)}`];
  lines.push(
    `  in effect since run ${observation.runId} at ${observation.observedAt}: ${describeOutcome(observation)}`,
  );
  if (observation.consecutiveFailures > 0) {
    lines.push(
      "  (that run had no usable answer: the observed set is the one carried from the last good run; a failure removes nothing)",
    );
  }
  lines.push("", `observed set (${observation.active.length}):`);
  for (const ip of observation.active) lines.push(`  ${describeObservedIp(ip)}`);
  if (observation.active.length === 0) lines.push("  (empty)");
  lines.push("", `answers of that run (${plural(observation.answers.length, "resolver")}):`);
  for (const answer of observation.answers) lines.push(...describeAnswer(answer));
  if (observation.entered.length > 0) {
    lines.push("", `entered the observed set in that run: ${observation.entered.join(" ")}`);
  }
  if (observation.left.length > 0) {
    lines.push(
      "",
      `left the observed set in that run: ${observation.left.map((ip) => ip.ip).join(" ")}`,
    );
  }
  if (observation.suspicious.length > 0) {
    lines.push("", "suspicious answers (never added to the observed set):");
    for (const s of observation.suspicious) {
      lines.push(`  ${s.ip} (${s.range}) from ${s.resolver}`);
    }
  }
  if (observation.grace !== undefined) {
    lines.push(
      "",
      `an IP leaves the observed set after ${plural(observation.grace.runs, "successful run")} and ${plural(observation.grace.hours, "hour")} without it`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function describeOutcome(observation: HostObservation): string {
  if (observation.consecutiveFailures === 0) return observation.outcome;
  const only = observation.suspicious.length > 0 ? ", only suspicious answers" : "";
  return `${observation.outcome} (${plural(observation.consecutiveFailures, "failed run")} in a row${only})`;
}

function describeObservedIp(ip: ObservedIp): string {
  return [
    ip.ip.padEnd(16),
    ` first seen ${ip.firstSeen}`,
    `  last seen ${ip.lastSeen}`,
    `  seen ${ip.timesSeen}×`,
    `  via ${ip.resolvers.join(", ")}`,
  ].join("");
}

function describeAnswer(answer: ResolverAnswer): string[] {
  const records = [
    ...answer.a.map((r) => `A ${r.ip} (TTL ${r.ttl})`),
    ...answer.aaaa.map((r) => `AAAA ${r.ip} (TTL ${r.ttl})`),
  ];
  const samples =
    answer.samples !== undefined && answer.samples > 1 ? `, ${answer.samples} samples merged` : "";
  const lines = [`  ${answer.resolver}: ${answer.outcome}${samples}`];
  if (answer.cnameChain.length > 0) lines.push(`    CNAME ${answer.cnameChain.join(" → ")}`);
  for (const record of records) lines.push(`    ${record}`);
  if (answer.detail !== undefined) lines.push(`    ${answer.detail}`);
  return lines;
}

/**
 * `total`: the runs in the range, or null when there are more than `runs` (only the newest were
 * read, so they are not counted).
 */
export function formatHistory(
  hostname: string,
  runs: readonly HostObservation[],
  total: number | null,
): string {
  if (runs.length === 0) return `${hostname}: no runs in that range\n`;
  const heading =
    total === null
      ? `the newest ${plural(runs.length, "run")}, newest first; older runs exist (--limit, --from, --to)`
      : `${plural(total, "run")}, newest first${runs.length < total ? `, the newest ${runs.length} shown (--limit, --from, --to)` : ""}`;
  const lines = [`${hostname}: ${heading}`, ""];
  const idWidth = Math.max(...runs.map((r) => r.runId.length));
  for (const run of runs) {
    const changes = [...run.entered.map((ip) => `+${ip}`), ...run.left.map((ip) => `-${ip.ip}`)];
    const notes = [
      changes.length > 0 ? changes.join(" ") : run.consecutiveFailures > 0 ? "" : "no change",
      ...run.suspicious.map((s) => `suspicious ${s.ip} (${s.range})`),
      `[${run.active.length} observed]`,
    ].filter((note) => note !== "");
    lines.push(
      `${run.observedAt}  ${run.runId.padEnd(idWidth)}  ${describeOutcome(run).padEnd(10)}  ${notes.join("  ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function formatIpUse(answer: IpUse, where: string): string {
  const lines: string[] = [];
  if (answer.hosts.length === 0) {
    lines.push(`${answer.ip}: no hostname has resolved to it in ${where}`);
  } else {
    lines.push(`${answer.ip}: used by ${plural(answer.hosts.length, "hostname")}`, "");
    const width = Math.max(...answer.hosts.map((h) => h.hostname.length));
    for (const host of answer.hosts) {
      const state = host.current
        ? "still observed"
        : host.leftAt !== null
          ? `left the observed set ${host.leftAt}`
          : "no longer observed";
      lines.push(`${host.hostname.padEnd(width)}  first seen ${host.firstSeen}  ${state}`);
      if (host.catalogue.length === 0) lines.push(`${" ".repeat(width)}  not in the catalogue`);
      for (const doc of host.catalogue)
        lines.push(`${" ".repeat(width)}  ${describeDocumentation(doc)}`);
    }
  }
  const unobserved = answer.documentedFor.filter(
    (doc) => !answer.hosts.some((h) => h.catalogue.some((c) => c.endpointId === doc.endpointId)),
  );
  if (unobserved.length > 0) {
    lines.push("", "the catalogue also names it for endpoints that never resolved to it:");
    const pools = new Map<string, IpDocumentation[]>();
    for (const doc of unobserved) {
      if (doc.status !== "pool") {
        lines.push(`  ${describeDocumentation(doc)}`);
        continue;
      }
      const key = `${doc.poolId} (group ${doc.group})`;
      pools.set(key, [...(pools.get(key) ?? []), doc]);
    }
    for (const [pool, docs] of pools) {
      const names = docs.map((d) => d.hostname ?? d.endpointId);
      lines.push(`  pool ${pool}: ${names.join(", ")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function describeDocumentation(doc: IpDocumentation): string {
  const endpoint = `endpoint ${doc.endpointId} (group ${doc.group}, policy ${doc.policy})`;
  switch (doc.status) {
    case "documented":
      return `documented for ${endpoint}`;
    case "pool":
      return `documented in pool ${doc.poolId} for ${endpoint}`;
    case "retired":
      return `retired on ${doc.retiredOn}${doc.poolId ? ` from pool ${doc.poolId}` : ""} for ${endpoint}${doc.note ? `: ${doc.note}` : ""}`;
    case "published-ranges":
      return `not documented: ${endpoint} is judged against the published ${doc.policy} ranges`;
    case "undocumented":
      return `not documented for ${endpoint}`;
  }
}

export function formatEvents(
  events: readonly CommittedEvent[],
  total: number,
  where: string,
): string {
  if (events.length === 0) return `no committed change events in ${where}\n`;
  const shown = events.length < total ? `, the newest ${events.length} shown (--limit)` : "";
  const lines = [`${plural(total, "committed change event")}, newest first${shown}`, ""];
  const width = (field: (event: CommittedEvent) => string) =>
    Math.max(...events.map((event) => field(event).length));
  const group = (event: CommittedEvent) => event.group ?? "(no group)";
  const [typeWidth, groupWidth, subjectWidth] = [
    width((e) => e.type),
    width(group),
    width(subjectOf),
  ];
  for (const event of events) {
    const changes = [...event.added.map((ip) => `+${ip}`), ...event.removed.map((ip) => `-${ip}`)];
    lines.push(
      [
        event.changeSet.committedAt,
        event.severity.padEnd(6),
        event.type.padEnd(typeWidth),
        group(event).padEnd(groupWidth),
        subjectOf(event).padEnd(subjectWidth),
        event.changeSet.state.padEnd(10),
        changes.join(" "),
      ]
        .join("  ")
        .trimEnd(),
    );
    lines.push(`    ${event.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

function subjectOf(event: DriftEvent): string {
  switch (event.subject.kind) {
    case "endpoint":
      return event.endpoint?.hostname ?? event.subject.endpointId;
    case "pool":
      return `pool ${event.subject.poolId}`;
    case "feed":
      return `feed ${event.subject.feed}`;
  }
}
