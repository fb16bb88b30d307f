import { describe, expect, it } from "vitest";
import {
  DEFAULT_AWS_IP_RANGES_URL,
  DEFAULT_CLOUDFRONT_URL,
  loadFeedConfig,
} from "#shared/observe/feeds/config";
import { FeedConfigError } from "#shared/observe/feeds/errors";

const BASE = { DRIFTWATCH_TABLE_NAME: "driftwatch", DRIFTWATCH_BUCKET_NAME: "driftwatch-archive" };

function configError(env: Record<string, string>): FeedConfigError {
  try {
    loadFeedConfig(env);
  } catch (error) {
    if (error instanceof FeedConfigError) return error;
    throw error;
  }
  throw new Error("expected a FeedConfigError");
}

describe("loading the feed configuration", () => {
  it("defaults to AWS's published feeds, a 10 s timeout, a 32 MiB cap and a 3-run / 6-hour grace", () => {
    const config = loadFeedConfig(BASE);

    expect(config).toEqual({
      tableName: "driftwatch",
      bucketName: "driftwatch-archive",
      feeds: [
        { id: "aws-ip-ranges", url: DEFAULT_AWS_IP_RANGES_URL },
        { id: "cloudfront", url: DEFAULT_CLOUDFRONT_URL },
      ],
      timeoutMs: 10_000,
      maxBytes: 32 * 1024 * 1024,
      grace: { runs: 3, hours: 6 },
    });
  });

  it("reads every variable", () => {
    const config = loadFeedConfig({
      ...BASE,
      DRIFTWATCH_AWS_IP_RANGES_URL: "file:///srv/feeds/ip-ranges.json.gz",
      DRIFTWATCH_CLOUDFRONT_URL: "https://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips",
      DRIFTWATCH_FEED_TIMEOUT_MS: "2500",
      DRIFTWATCH_FEED_MAX_BYTES: "20000000",
      DRIFTWATCH_FEED_GRACE: '{"runs":4,"hours":12}',
    });

    expect(config.feeds.map((f) => f.url)).toEqual([
      "file:///srv/feeds/ip-ranges.json.gz",
      "https://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips",
    ]);
    expect([config.timeoutMs, config.maxBytes, config.grace]).toEqual([
      2500,
      20_000_000,
      { runs: 4, hours: 12 },
    ]);
  });

  it.each([
    [{ DRIFTWATCH_BUCKET_NAME: "b" }, "DRIFTWATCH_TABLE_NAME", /is required/],
    [{ DRIFTWATCH_TABLE_NAME: "t" }, "DRIFTWATCH_BUCKET_NAME", /is required/],
    [
      { ...BASE, DRIFTWATCH_AWS_IP_RANGES_URL: "ftp://example.com/x" },
      "DRIFTWATCH_AWS_IP_RANGES_URL",
      /http, https or file/,
    ],
    [{ ...BASE, DRIFTWATCH_CLOUDFRONT_URL: "not a url" }, "DRIFTWATCH_CLOUDFRONT_URL", /not a url/],
    [{ ...BASE, DRIFTWATCH_FEED_TIMEOUT_MS: "soon" }, "DRIFTWATCH_FEED_TIMEOUT_MS", /soon/],
    [{ ...BASE, DRIFTWATCH_FEED_MAX_BYTES: "-1" }, "DRIFTWATCH_FEED_MAX_BYTES", /-1/],
    [{ ...BASE, DRIFTWATCH_FEED_GRACE: "3 runs" }, "DRIFTWATCH_FEED_GRACE", /must be JSON/],
    [
      { ...BASE, DRIFTWATCH_FEED_GRACE: '{"versions":3,"hours":6}' },
      "DRIFTWATCH_FEED_GRACE",
      /runs/,
    ],
    [{ ...BASE, DRIFTWATCH_FEED_GRACE: '{"runs":0,"hours":6}' }, "DRIFTWATCH_FEED_GRACE", /runs/],
  ])("names the bad variable (%#)", (env, variable, reason) => {
    const error = configError(env);

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toMatch(reason);
  });
});
