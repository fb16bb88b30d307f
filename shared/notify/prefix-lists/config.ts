import { z } from "zod";
import {
  type Env,
  parsedVariable,
  requiredVariable,
  wholeNumberVariable,
} from "#shared/config/env";
import { PREFIX_LIST_ENTRIES_QUOTA, type PrefixListLimits } from "./plan";

export interface PrefixListSyncConfig {
  bucketName: string;
  region: string;
  /** The `driftwatch:stage` tag value a list must carry. */
  stage: string;
  dryRun: boolean;
  limits: PrefixListLimits;
}

export class PrefixListSyncConfigError extends Error {
  override readonly name = "PrefixListSyncConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable} ${problem}`, options);
  }
}

const Flag = z.enum(["true", "false"], { error: 'must be "true" or "false"' });

function flag(env: Env, name: string): boolean {
  requiredVariable(env, name, PrefixListSyncConfigError);
  return parsedVariable(env, name, Flag, "false", PrefixListSyncConfigError) === "true";
}

/**
 * The subscriber's configuration, read once at start-up; a missing or malformed variable is
 * named. No default for what changes behaviour: dry run and resizing must be set.
 *
 * - DRIFTWATCH_BUCKET_NAME, AWS_REGION: where the allowlist files are.
 * - DRIFTWATCH_PREFIX_LIST_STAGE: the `driftwatch:stage` tag a list must carry.
 * - DRIFTWATCH_PREFIX_LIST_DRY_RUN: `true` reports what it would apply and applies nothing.
 * - DRIFTWATCH_PREFIX_LIST_ALLOW_RESIZE: `true` grows MaxEntries when the allowlist outgrows it.
 * - DRIFTWATCH_PREFIX_LIST_MAX_ENTRIES: the largest size to grow to (1-1000, default 1000).
 */
export function loadPrefixListSyncConfig(env: Env): PrefixListSyncConfig {
  return {
    bucketName: requiredVariable(env, "DRIFTWATCH_BUCKET_NAME", PrefixListSyncConfigError),
    region: requiredVariable(env, "AWS_REGION", PrefixListSyncConfigError),
    stage: requiredVariable(env, "DRIFTWATCH_PREFIX_LIST_STAGE", PrefixListSyncConfigError),
    dryRun: flag(env, "DRIFTWATCH_PREFIX_LIST_DRY_RUN"),
    limits: {
      allowResize: flag(env, "DRIFTWATCH_PREFIX_LIST_ALLOW_RESIZE"),
      maxEntriesCeiling: wholeNumberVariable(
        env,
        "DRIFTWATCH_PREFIX_LIST_MAX_ENTRIES",
        { fallback: PREFIX_LIST_ENTRIES_QUOTA, min: 1, max: PREFIX_LIST_ENTRIES_QUOTA },
        PrefixListSyncConfigError,
      ),
    },
  };
}
