import { z } from "zod";
import type { FeedId } from "#shared/domain/feed";
import { DEFAULT_FEED_GRACE, type FeedGrace } from "./damping";
import { FeedConfigError } from "./errors";

export const DEFAULT_AWS_IP_RANGES_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json";
export const DEFAULT_CLOUDFRONT_URL =
  "http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips";
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
export function loadFeedConfig(env: Record<string, string | undefined>): FeedConfig {
  return {
    tableName: required(env, "DRIFTWATCH_TABLE_NAME"),
    bucketName: required(env, "DRIFTWATCH_BUCKET_NAME"),
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
    grace: parseGrace(env.DRIFTWATCH_FEED_GRACE),
  };
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new FeedConfigError(name, "is required");
  return value.trim();
}

function parse<T>(
  env: Record<string, string | undefined>,
  name: string,
  schema: z.ZodType<T>,
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const parsed = schema.safeParse(raw.trim());
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "is malformed";
    throw new FeedConfigError(name, `${JSON.stringify(raw)}: ${message}`, { cause: parsed.error });
  }
  return parsed.data;
}

function parseGrace(raw: string | undefined): FeedGrace {
  const name = "DRIFTWATCH_FEED_GRACE";
  if (raw === undefined || raw.trim() === "") return DEFAULT_FEED_GRACE;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new FeedConfigError(
      name,
      `must be JSON like {"runs":3,"hours":6}, got ${JSON.stringify(raw)}`,
      {
        cause,
      },
    );
  }
  const parsed = Grace.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedConfigError(
      name,
      `must be {"runs": integer >= 1, "hours": number >= 0}: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? ""}`.trim(),
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
