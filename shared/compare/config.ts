import { z } from "zod";
import type { AllowlistLimits } from "#shared/allowlists/limits";
import { catalogueIdsVariable } from "#shared/config/catalogue-ids";
import { type Env, jsonVariable, requiredVariable, wholeNumberVariable } from "#shared/config/env";

/**
 * Configuration of the compare → record step in the observe Lambdas (resolve-hostnames,
 * ingest-feeds), read once at cold start by `loadDriftConfig`.
 */
export interface DriftConfig {
  /** The catalogue whose endpoints are judged. */
  /** The catalogues watched, in judging order (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: string[];
  /** The bucket of the allowlist files and of the feed archive (read for the range matchers). */
  bucketName: string;
  /** Consecutive failed runs before `resolution-failed`. */
  failureThreshold: number;
  /** How long a documented IP may go unserved before `documented-ip-unused`. */
  unusedGrace: { hours: number };
  /** Firewall limits of the size warnings that differ from the defaults (raised quotas). */
  limits?: Partial<AllowlistLimits>;
}

const limit = z.number().int().positive();
const AllowlistLimitsOverride = z.strictObject({
  fqdnObjectAddresses: limit.optional(),
  securityGroupRules: limit.optional(),
  prefixListEntries: limit.optional(),
  wafIpSetAddresses: limit.optional(),
  networkFirewallIpSetCidrs: limit.optional(),
});

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
 * - DRIFTWATCH_CATALOGUE_IDS (comma list; else DRIFTWATCH_CATALOGUE_ID), DRIFTWATCH_BUCKET_NAME:
 *   required.
 * - DRIFTWATCH_FAILURE_THRESHOLD: whole number 1-1000, default 3.
 * - DRIFTWATCH_UNUSED_GRACE_HOURS: whole number 1-87600, default 168 (a week).
 * - DRIFTWATCH_ALLOWLIST_LIMITS: JSON object of the limits that differ from the defaults
 *   (`{"securityGroupRules":200}`; keys as `AllowlistLimits`), default none.
 */
export function loadDriftConfig(env: Env): DriftConfig {
  const limits = jsonVariable(
    env,
    "DRIFTWATCH_ALLOWLIST_LIMITS",
    AllowlistLimitsOverride,
    DriftConfigError,
    {
      notJson: (given) => `is not JSON: ${JSON.stringify(given)}`,
      invalid: (issue) =>
        `is not a set of firewall limits: ${issue?.path.join(".") || "value"} ${issue?.message ?? ""}`.trim(),
    },
  );
  const overrides = Object.fromEntries(
    Object.entries(limits ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<AllowlistLimits>;
  return {
    ...(Object.keys(overrides).length > 0 ? { limits: overrides } : {}),
    catalogueIds: catalogueIdsVariable(env, DriftConfigError),
    bucketName: requiredVariable(env, "DRIFTWATCH_BUCKET_NAME", DriftConfigError),
    failureThreshold: wholeNumberVariable(
      env,
      "DRIFTWATCH_FAILURE_THRESHOLD",
      { fallback: DEFAULT_FAILURE_THRESHOLD, min: 1, max: 1_000 },
      DriftConfigError,
    ),
    unusedGrace: {
      hours: wholeNumberVariable(
        env,
        "DRIFTWATCH_UNUSED_GRACE_HOURS",
        { fallback: DEFAULT_UNUSED_GRACE_HOURS, min: 1, max: 87_600 },
        DriftConfigError,
      ),
    },
  };
}
