import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { FeedId, FeedIngestResult } from "#shared/domain/feed";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import type { FeedPointer } from "#shared/observe/feeds/ports";
import type { IpSpaceChangedNotification } from "#shared/observe/feeds/schema";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  AWS_VERSIONS,
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  fileUrl,
  readAwsIpRanges,
  readCloudFront,
} from "#test/helpers/feed-fixtures";
import { startTestStack } from "#test/helpers/stack";

/**
 * A version dated in the future (year 2100) must not freeze a feed, and a CloudFront list with a
 * top-level key driftwatch does not know must not lose that key's prefixes silently: each bad
 * input is rejected with a reason naming the feed, and the stored snapshots stay as they were.
 */

const GRACE = { runs: 3, hours: 6 };
const NOW = new Date("2026-08-21T21:20:00Z");
const YEAR_2100 = { syncToken: "4102444800", createDate: "2100-01-01-00-00-00" };
const STORED = "2026-08-21-18-57-05";
const NEWER = "2026-08-21-21-17-05";

let tempDir: string;
const urls: Record<string, string> = {};

async function writeDocument(name: string, document: unknown): Promise<void> {
  const path = join(tempDir, `${name}.json`);
  await writeFile(path, JSON.stringify(document));
  urls[name] = fileUrl(path);
}

async function ingest(
  stack: EmbeddedStack,
  feed: FeedId,
  url: string,
  now = NOW,
  notification?: IpSpaceChangedNotification,
): Promise<FeedIngestResult> {
  const [result] = await ingestFeeds(feedDeps(stack), {
    feeds: [{ id: feed, url }],
    now,
    ...(notification ? { notification } : {}),
    options: { grace: GRACE },
  });
  if (result === undefined) throw new Error("no result");
  return result;
}

async function pointersOf(stack: EmbeddedStack): Promise<Record<FeedId, FeedPointer | null>> {
  const { pointers } = feedDeps(stack);
  return {
    "aws-ip-ranges": await pointers.get("aws-ip-ranges"),
    cloudfront: await pointers.get("cloudfront"),
  };
}

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), "driftwatch-feed-future-"));
  const newer = JSON.parse(new TextDecoder().decode(await readAwsIpRanges(NEWER)));
  const stored = JSON.parse(new TextDecoder().decode(await readAwsIpRanges(STORED)));
  const list = JSON.parse(new TextDecoder().decode(await readCloudFront())) as Record<
    string,
    string[]
  >;
  await writeDocument("future-same", { ...stored, ...YEAR_2100 });
  await writeDocument("future-create-date", { ...newer, createDate: "2100-01-01-00-00-00" });
  await writeDocument("cf-string-key", { ...list, SYNC_TOKEN: "1787338625" });
  await writeDocument("cf-bad-extra-list", { ...list, CLOUDFRONT_EDGE_V2: ["13.32.0.0/33"] });
});

afterAll(async () => {
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

describe("with genuine snapshots stored", () => {
  let stack: EmbeddedStack;
  let seeded: Record<FeedId, FeedPointer | null>;

  beforeAll(async () => {
    stack = await startTestStack();
    const seedAt = new Date("2026-08-21T19:00:00Z");
    expect((await ingest(stack, "aws-ip-ranges", awsIpRangesUrl(STORED), seedAt)).status).toBe(
      "updated",
    );
    expect((await ingest(stack, "cloudfront", CLOUDFRONT_URL, seedAt)).status).toBe("updated");
    seeded = await pointersOf(stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    [
      "a syncToken in the year 2100",
      "future-same",
      "feed aws-ip-ranges rejected: syncToken 4102444800 (2100-01-01T00:00:00.000Z) is more than 3600 s after now (2026-08-21T21:20:00.000Z)",
    ],
    [
      "a createDate in the year 2100",
      "future-create-date",
      "feed aws-ip-ranges rejected: createDate 2100-01-01-00-00-00 (2100-01-01T00:00:00.000Z) is more than 3600 s after now (2026-08-21T21:20:00.000Z)",
    ],
  ])(
    "rejects an ip-ranges.json with %s and keeps the last good one current",
    async (_c, name, reason) => {
      // Act
      const result = await ingest(stack, "aws-ip-ranges", urls[name] as string);

      // Assess
      expect(result.status).toBe("rejected");
      expect(result.reason).toBe(reason);
      expect(result.current).toEqual(seeded["aws-ip-ranges"]?.meta);
      expect(await pointersOf(stack)).toEqual(seeded);
    },
  );

  it.each([
    [
      "a key holding a string",
      "cf-string-key",
      'feed cloudfront rejected: unexpected key "SYNC_TOKEN": a string, not a list of CIDRs',
    ],
    [
      "an extra list with an invalid CIDR",
      "cf-bad-extra-list",
      'feed cloudfront rejected: invalid CIDR "13.32.0.0/33" at CLOUDFRONT_EDGE_V2[0]: is not a valid IPv4 CIDR',
    ],
  ])("rejects a CloudFront list with %s, naming the key", async (_c, name, reason) => {
    const result = await ingest(stack, "cloudfront", urls[name] as string);

    expect(result.status).toBe("rejected");
    expect(result.reason).toBe(reason);
    expect(result.current).toEqual(seeded.cloudfront?.meta);
    expect(await pointersOf(stack)).toEqual(seeded);
  });
});

describe("with a future syncToken stored before the check existed", () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startTestStack();
    // Accepted as it was before the fix: an ingest whose clock reads 2100.
    const stored = await ingest(
      stack,
      "aws-ip-ranges",
      urls["future-same"] as string,
      new Date("2100-01-01T00:00:00Z"),
    );
    expect(stored.current?.syncToken).toBe(YEAR_2100.syncToken);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("accepts a later genuine version instead of ignoring it as stale forever", async () => {
    // Act
    const result = await ingest(stack, "aws-ip-ranges", awsIpRangesUrl(NEWER), NOW, {
      md5: AWS_VERSIONS[NEWER].md5,
      syncToken: AWS_VERSIONS[NEWER].syncToken,
      createTime: "2026-08-21T21:17:05+00:00",
      url: "https://ip-ranges.amazonaws.com/ip-ranges.json",
    });

    // Assess
    expect(result.status).toBe("updated");
    expect(result.current?.syncToken).toBe(AWS_VERSIONS[NEWER].syncToken);
    expect(result.warning).toBe(
      "feed aws-ip-ranges: the stored syncToken 4102444800 is more than 3600 s after now " +
        "(2026-08-21T21:20:00.000Z); it is not used to order versions",
    );
    expect((await pointersOf(stack))["aws-ip-ranges"]?.meta.syncToken).toBe(
      AWS_VERSIONS[NEWER].syncToken,
    );
  });

  it("then orders versions by the genuine token again", async () => {
    const result = await ingest(stack, "aws-ip-ranges", awsIpRangesUrl(STORED));

    expect(result.status).toBe("stale-ignored");
    expect(result.warning).toBeUndefined();
  });
});
