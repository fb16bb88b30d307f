import { z } from "zod";
import { type Env, jsonVariable, parsedVariable, requiredVariable } from "#shared/config/env";
import type { FeedId } from "#shared/domain/feed";
import { DEFAULT_FEED_GRACE, type FeedGrace } from "./damping";
import { FeedConfigError } from "./errors";
import { DEFAULT_AWS_IP_RANGES_URL, DEFAULT_CLOUDFRONT_URL } from "./feed-urls";

export { DEFAULT_AWS_IP_RANGES_URL, DEFAULT_CLOUDFRONT_URL };
export const DEFAULT_FEED_TIMEOUT_MS = 10_000;
/** The real ip-ranges.json is ~2.6 MB; 32 MiB leaves room for growth and stops a runaway body. */
export const DEFAULT_FEED_MAX_BYTES = 32 * 1024 * 1024;

export interface FeedConfig {
  tableName: string;
  bucketName: string;
  feeds: { id: FeedId; url: string }[];
  timeoutMs: number;
  maxBytes: number;
  grace: FeedGrace;
}

const FeedUrl = z
  .url()
  .refine((value) => /^(https?|file):/.test(value), "must be an http, https or file URL");
const PositiveInt = z.coerce.number().int().positive();
const Grace = z.strictObject({
  runs: z.number().int().min(1),
  hours: z.number().min(0),
});

/**
 * Reads the feed ingest configuration once, at start-up. Throws `FeedConfigError` naming the
 * missing or malformed variable.
 *
 * - DRIFTWATCH_TABLE_NAME, DRIFTWATCH_BUCKET_NAME: required.
 * - DRIFTWATCH_AWS_IP_RANGES_URL, DRIFTWATCH_CLOUDFRONT_URL: http, https or file URLs; default
 *   to AWS's published endpoints.
 * - DRIFTWATCH_FEED_TIMEOUT_MS (default 10000), DRIFTWATCH_FEED_MAX_BYTES (default 32 MiB).
 * - DRIFTWATCH_FEED_GRACE: JSON `{"runs":3,"hours":6}` (the default).
 */
export function loadFeedConfig(env: Env): FeedConfig {
  return {
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", FeedConfigError),
    bucketName: requiredVariable(env, "DRIFTWATCH_BUCKET_NAME", FeedConfigError),
    feeds: [
      {
        id: "aws-ip-ranges",
        url: parse(env, "DRIFTWATCH_AWS_IP_RANGES_URL", FeedUrl, DEFAULT_AWS_IP_RANGES_URL),
      },
      {
        id: "cloudfront",
        url: parse(env, "DRIFTWATCH_CLOUDFRONT_URL", FeedUrl, DEFAULT_CLOUDFRONT_URL),
      },
    ],
    timeoutMs: parse(env, "DRIFTWATCH_FEED_TIMEOUT_MS", PositiveInt, DEFAULT_FEED_TIMEOUT_MS),
    maxBytes: parse(env, "DRIFTWATCH_FEED_MAX_BYTES", PositiveInt, DEFAULT_FEED_MAX_BYTES),
    grace:
      jsonVariable(env, "DRIFTWATCH_FEED_GRACE", Grace, FeedConfigError, {
        notJson: (given) => `must be JSON like {"runs":3,"hours":6}, got ${JSON.stringify(given)}`,
        invalid: (issue) =>
          `must be {"runs": integer >= 1, "hours": number >= 0}: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? ""}`.trim(),
      }) ?? DEFAULT_FEED_GRACE,
  };
}

function parse<T>(env: Env, name: string, schema: z.ZodType<T>, fallback: T): T {
  return parsedVariable(env, name, schema, fallback, FeedConfigError);
}
