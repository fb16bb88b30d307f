import { z } from "zod";
import { type ExpectationPolicy, ExpectationPolicy as Policy } from "#shared/catalogue/schema";
import { parseDnsServer } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_GRACE, type Grace } from "#shared/observe/dns/observation-window";
import { DEFAULT_RESOLVE_OPTIONS } from "#shared/observe/dns/resolve-hostnames";
import { DEFAULT_HISTORY_RETENTION_DAYS } from "#shared/stores/dynamodb/observation-store";

/** Configuration of the resolve job, read once at cold start (see `loadDnsConfig`). */
export interface DnsConfig {
  tableName: string;
  catalogueId: string;
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

export const DEFAULT_DNS_TIMEOUT_MS = 2_000;
export const DEFAULT_DNS_TRIES = 2;
export const DEFAULT_INTERVAL_MINUTES = 15;
export const DEFAULT_DEADLINE_MARGIN_MS = 10_000;

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
 * - DRIFTWATCH_TABLE_NAME, DRIFTWATCH_CATALOGUE_ID, DRIFTWATCH_DNS_SERVERS (comma list of
 *   host[:port], or `system`): required.
 * - DRIFTWATCH_DNS_SAMPLES (3), DRIFTWATCH_DNS_TIMEOUT_MS (2000), DRIFTWATCH_DNS_TRIES (2),
 *   DRIFTWATCH_DNS_CONCURRENCY (16), DRIFTWATCH_DNS_RETRIES (1),
 *   DRIFTWATCH_HISTORY_RETENTION_DAYS (400), DRIFTWATCH_RESOLVE_INTERVAL_MINUTES (15, must match
 *   the schedule), DRIFTWATCH_DNS_DEADLINE_MARGIN_MS (10000).
 * - DRIFTWATCH_GRACE: JSON by policy, e.g. `{"rotating":{"runs":8,"hours":24}}`, over
 *   DEFAULT_GRACE.
 */
export function loadDnsConfig(env: Record<string, string | undefined>): DnsConfig {
  return {
    tableName: required(env, "DRIFTWATCH_TABLE_NAME"),
    catalogueId: required(env, "DRIFTWATCH_CATALOGUE_ID"),
    servers: servers(env),
    samples: integer(env, "DRIFTWATCH_DNS_SAMPLES", DEFAULT_RESOLVE_OPTIONS.samples, 1, 20),
    timeoutMs: integer(env, "DRIFTWATCH_DNS_TIMEOUT_MS", DEFAULT_DNS_TIMEOUT_MS, 1, 60_000),
    tries: integer(env, "DRIFTWATCH_DNS_TRIES", DEFAULT_DNS_TRIES, 1, 10),
    concurrency: integer(
      env,
      "DRIFTWATCH_DNS_CONCURRENCY",
      DEFAULT_RESOLVE_OPTIONS.concurrency,
      1,
      256,
    ),
    retries: integer(env, "DRIFTWATCH_DNS_RETRIES", DEFAULT_RESOLVE_OPTIONS.retries, 0, 10),
    grace: grace(env),
    historyRetentionDays: integer(
      env,
      "DRIFTWATCH_HISTORY_RETENTION_DAYS",
      DEFAULT_HISTORY_RETENTION_DAYS,
      1,
      36_500,
    ),
    intervalMinutes: integer(
      env,
      "DRIFTWATCH_RESOLVE_INTERVAL_MINUTES",
      DEFAULT_INTERVAL_MINUTES,
      1,
      1_440,
    ),
    deadlineMarginMs: integer(
      env,
      "DRIFTWATCH_DNS_DEADLINE_MARGIN_MS",
      DEFAULT_DEADLINE_MARGIN_MS,
      0,
      600_000,
    ),
  };
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "") throw new DnsConfigError(name, "is required");
  return value;
}

function servers(env: Record<string, string | undefined>): string[] | "system" {
  const name = "DRIFTWATCH_DNS_SERVERS";
  const raw = required(env, name);
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

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new DnsConfigError(
      name,
      `${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function grace(env: Record<string, string | undefined>): Record<ExpectationPolicy, Grace> {
  const name = "DRIFTWATCH_GRACE";
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return { ...DEFAULT_GRACE };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new DnsConfigError(name, "is not JSON", { cause: error });
  }
  const parsed = GraceOverrides.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DnsConfigError(
      name,
      `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "is malformed"}`,
      { cause: parsed.error },
    );
  }
  return { ...DEFAULT_GRACE, ...parsed.data };
}
