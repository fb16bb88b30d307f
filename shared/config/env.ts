import type { z } from "zod";

/**
 * Reading configuration from environment variables, for the `loadConfig(env)` functions: each
 * loader keeps its own named error class and passes it in, so the error names the variable the
 * same way wherever it comes from.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** A loader's error: `(variable, problem)`, the message naming the variable. */
export type ConfigErrorClass = new (
  variable: string,
  problem: string,
  options?: { cause?: unknown },
) => Error;

/** The first problem zod found, if it said one. */
export type ConfigIssue = z.core.$ZodIssue | undefined;

/** The value without surrounding white space; `undefined` when unset or blank. */
export function readVariable(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** The value, trimmed; "is required" when unset or blank. */
export function requiredVariable(env: Env, name: string, ConfigError: ConfigErrorClass): string {
  const value = readVariable(env, name);
  if (value === undefined) throw new ConfigError(name, "is required");
  return value;
}

/** A whole number from `min` to `max` written in digits; `fallback` when unset or blank. */
export function wholeNumberVariable(
  env: Env,
  name: string,
  range: { fallback: number; min: number; max: number },
  ConfigError: ConfigErrorClass,
): number {
  const raw = readVariable(env, name);
  if (raw === undefined) return range.fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < range.min || value > range.max) {
    throw new ConfigError(
      name,
      `${JSON.stringify(raw)}: must be a whole number from ${range.min} to ${range.max}`,
    );
  }
  return value;
}

/**
 * The trimmed value parsed by `schema`; `fallback` when unset or blank. The problem quotes the
 * value as it was set, then zod's first message.
 */
export function parsedVariable<T>(
  env: Env,
  name: string,
  schema: z.ZodType<T>,
  fallback: T,
  ConfigError: ConfigErrorClass,
): T {
  const raw = readVariable(env, name);
  if (raw === undefined) return fallback;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "is malformed";
    throw new ConfigError(name, `${JSON.stringify(env[name])}: ${message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * JSON checked by `schema`; `undefined` when unset or blank. Each loader words its own
 * problems: `notJson` gets the value as it was set, `invalid` zod's first issue.
 */
export function jsonVariable<T>(
  env: Env,
  name: string,
  schema: z.ZodType<T>,
  ConfigError: ConfigErrorClass,
  problems: { notJson: (given: string) => string; invalid: (issue: ConfigIssue) => string },
): T | undefined {
  const raw = readVariable(env, name);
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(name, problems.notJson(env[name] ?? raw), { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(name, problems.invalid(parsed.error.issues[0]), {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
