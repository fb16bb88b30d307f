import { z } from "zod";
import { type ExpectationPolicy, ExpectationPolicy as Policy } from "#shared/catalogue/schema";
import { catalogueIdsVariable } from "#shared/config/catalogue-ids";
import { type Env, jsonVariable, requiredVariable, wholeNumberVariable } from "#shared/config/env";
import {
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_DNS_TRIES,
  parseDnsServer,
} from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_GRACE, type Grace } from "#shared/observe/dns/observation-window";
import { DEFAULT_RESOLVE_OPTIONS } from "#shared/observe/dns/resolve-options";

/** Configuration of the resolve job, read once at cold start (see `loadDnsConfig`). */
export interface DnsConfig {
  tableName: string;
  /** The catalogues watched, in judging order (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: string[];
  /** Resolvers as `host:port` (`[v6]:port`), or `system` for the OS-configured ones. */
  servers: string[] | "system";
  samples: number;
  timeoutMs: number;
  tries: number;
  concurrency: number;
  retries: number;
  grace: Record<ExpectationPolicy, Grace>;
  historyRetentionDays: number;
  /** Schedule interval: the run id is the scheduled time truncated to it. */
  intervalMinutes: number;
  /** Time kept back from the Lambda's remaining time for saving (the resolution deadline). */
  deadlineMarginMs: number;
}

export { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES };
export const DEFAULT_INTERVAL_MINUTES = 15;
export const DEFAULT_DEADLINE_MARGIN_MS = 10_000;
/** Days a DNS history item and run record are kept (DynamoDB TTL) unless configured. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 400;

export class DnsConfigError extends Error {
  override name = "DnsConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

const GraceOverrides = z.partialRecord(
  Policy,
  z.strictObject({ runs: z.number().int().min(1), hours: z.number().min(0) }),
);

/**
 * Reads the resolve job's configuration, once, at start-up. Throws `DnsConfigError` naming the
 * missing or malformed variable.
 *
 * - DRIFTWATCH_TABLE_NAME, DRIFTWATCH_DNS_SERVERS (comma list of host[:port], or `system`):
 *   required; DRIFTWATCH_CATALOGUE_IDS (comma list), else DRIFTWATCH_CATALOGUE_ID: required.
 * - DRIFTWATCH_DNS_SAMPLES (3), DRIFTWATCH_DNS_TIMEOUT_MS (2000), DRIFTWATCH_DNS_TRIES (2),
 *   DRIFTWATCH_DNS_CONCURRENCY (16), DRIFTWATCH_DNS_RETRIES (1),
 *   DRIFTWATCH_HISTORY_RETENTION_DAYS (400), DRIFTWATCH_RESOLVE_INTERVAL_MINUTES (15, must match
 *   the schedule), DRIFTWATCH_DNS_DEADLINE_MARGIN_MS (10000).
 * - DRIFTWATCH_GRACE: JSON by policy, e.g. `{"rotating":{"runs":8,"hours":24}}`, over
 *   DEFAULT_GRACE.
 */
export function loadDnsConfig(env: Env): DnsConfig {
  const whole = (name: string, fallback: number, min: number, max: number) =>
    wholeNumberVariable(env, name, { fallback, min, max }, DnsConfigError);
  return {
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", DnsConfigError),
    catalogueIds: catalogueIdsVariable(env, DnsConfigError),
    servers: servers(env),
    samples: whole("DRIFTWATCH_DNS_SAMPLES", DEFAULT_RESOLVE_OPTIONS.samples, 1, 20),
    timeoutMs: whole("DRIFTWATCH_DNS_TIMEOUT_MS", DEFAULT_DNS_TIMEOUT_MS, 1, 60_000),
    tries: whole("DRIFTWATCH_DNS_TRIES", DEFAULT_DNS_TRIES, 1, 10),
    concurrency: whole("DRIFTWATCH_DNS_CONCURRENCY", DEFAULT_RESOLVE_OPTIONS.concurrency, 1, 256),
    retries: whole("DRIFTWATCH_DNS_RETRIES", DEFAULT_RESOLVE_OPTIONS.retries, 0, 10),
    grace: grace(env),
    historyRetentionDays: whole(
      "DRIFTWATCH_HISTORY_RETENTION_DAYS",
      DEFAULT_HISTORY_RETENTION_DAYS,
      1,
      36_500,
    ),
    intervalMinutes: whole(
      "DRIFTWATCH_RESOLVE_INTERVAL_MINUTES",
      DEFAULT_INTERVAL_MINUTES,
      1,
      1_440,
    ),
    deadlineMarginMs: whole(
      "DRIFTWATCH_DNS_DEADLINE_MARGIN_MS",
      DEFAULT_DEADLINE_MARGIN_MS,
      0,
      600_000,
    ),
  };
}

function servers(env: Env): string[] | "system" {
  const name = "DRIFTWATCH_DNS_SERVERS";
  const raw = requiredVariable(env, name, DnsConfigError);
  if (raw === "system") return "system";
  const list = raw.split(",").map((s) => s.trim());
  if (list.some((s) => s === ""))
    throw new DnsConfigError(name, `${JSON.stringify(raw)} has an empty entry`);
  try {
    return [...new Set(list.map(parseDnsServer))];
  } catch (error) {
    throw new DnsConfigError(name, (error as Error).message, { cause: error });
  }
}

function grace(env: Env): Record<ExpectationPolicy, Grace> {
  const overrides = jsonVariable(env, "DRIFTWATCH_GRACE", GraceOverrides, DnsConfigError, {
    notJson: () => "is not JSON",
    invalid: (issue) => `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "is malformed"}`,
  });
  return { ...DEFAULT_GRACE, ...overrides };
}
