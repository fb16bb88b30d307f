/**
 * Configuration of the compare → record step in the observe Lambdas (resolve-hostnames,
 * ingest-feeds), read once at cold start by `loadDriftConfig`.
 */
export interface DriftConfig {
  /** The catalogue whose endpoints are judged. */
  catalogueId: string;
  /** The bucket of the allowlist files and of the feed archive (read for the range matchers). */
  bucketName: string;
  /** Consecutive failed runs before `resolution-failed`. */
  failureThreshold: number;
  /** How long a documented IP may go unserved before `documented-ip-unused`. */
  unusedGrace: { hours: number };
}

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_UNUSED_GRACE_HOURS = 7 * 24;

export class DriftConfigError extends Error {
  override readonly name = "DriftConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

/**
 * Reads the compare configuration. Throws `DriftConfigError` naming the missing or malformed
 * variable.
 *
 * - DRIFTWATCH_CATALOGUE_ID, DRIFTWATCH_BUCKET_NAME: required.
 * - DRIFTWATCH_FAILURE_THRESHOLD: whole number 1-1000, default 3.
 * - DRIFTWATCH_UNUSED_GRACE_HOURS: whole number 1-87600, default 168 (a week).
 */
export function loadDriftConfig(env: Record<string, string | undefined>): DriftConfig {
  return {
    catalogueId: required(env, "DRIFTWATCH_CATALOGUE_ID"),
    bucketName: required(env, "DRIFTWATCH_BUCKET_NAME"),
    failureThreshold: wholeNumber(
      env,
      "DRIFTWATCH_FAILURE_THRESHOLD",
      DEFAULT_FAILURE_THRESHOLD,
      1,
      1_000,
    ),
    unusedGrace: {
      hours: wholeNumber(
        env,
        "DRIFTWATCH_UNUSED_GRACE_HOURS",
        DEFAULT_UNUSED_GRACE_HOURS,
        1,
        87_600,
      ),
    },
  };
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "") throw new DriftConfigError(name, "is required");
  return value;
}

function wholeNumber(
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
    throw new DriftConfigError(
      name,
      `${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}
