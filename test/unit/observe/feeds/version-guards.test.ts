import { describe, expect, it } from "vitest";
import type { FeedPrefix } from "#shared/domain/feed";
import { FeedRejectedError } from "#shared/observe/feeds/errors";
import { isRelevantPrefix } from "#shared/observe/feeds/relevance";
import {
  checkNotFromTheFuture,
  isFutureSyncToken,
  parseFeedSnapshot,
} from "#shared/observe/feeds/snapshot";
import { awsSnapshot, readCloudFront } from "#test/helpers/feed-fixtures";

const NOW = new Date("2026-08-21T20:00:00Z");
const ONE_DAY = 86_400;
const encode = (text: string) => new TextEncoder().encode(text);

function rejection(action: () => unknown): FeedRejectedError {
  try {
    action();
  } catch (error) {
    if (error instanceof FeedRejectedError) return error;
    throw error;
  }
  throw new Error("expected a FeedRejectedError");
}

async function realCloudFrontList(): Promise<Record<string, string[]>> {
  return JSON.parse(new TextDecoder().decode(await readCloudFront())) as Record<string, string[]>;
}

describe("an ip-ranges.json dated in the future", () => {
  it("is rejected when its syncToken is more than the tolerance after now, naming token and now", async () => {
    // Prepare
    const snapshot = { ...(await awsSnapshot("2026-08-21-18-57-05")), syncToken: "4102444800" };

    // Act
    const error = rejection(() => checkNotFromTheFuture(snapshot, NOW, ONE_DAY));

    // Assess
    expect(error.message).toBe(
      "feed aws-ip-ranges rejected: syncToken 4102444800 (2100-01-01T00:00:00.000Z) is more " +
        "than 86400 s after now (2026-08-21T20:00:00.000Z)",
    );
  });

  it("is rejected when only its createDate is more than the tolerance after now", async () => {
    const snapshot = {
      ...(await awsSnapshot("2026-08-21-18-57-05")),
      createDate: "2026-08-23-20-00-01",
    };

    const error = rejection(() => checkNotFromTheFuture(snapshot, NOW, ONE_DAY));

    expect(error.reason).toBe(
      "createDate 2026-08-23-20-00-01 (2026-08-23T20:00:01.000Z) is more than 86400 s after " +
        "now (2026-08-21T20:00:00.000Z)",
    );
  });

  it("is accepted up to the tolerance after now (a clock running a little behind AWS's)", async () => {
    const snapshot = {
      ...(await awsSnapshot("2026-08-21-18-57-05")),
      syncToken: String(NOW.getTime() / 1000 + ONE_DAY),
      createDate: "2026-08-22-20-00-00",
    };

    expect(() => checkNotFromTheFuture(snapshot, NOW, ONE_DAY)).not.toThrow();
  });

  it("names a token too large to be a date without failing on it", async () => {
    const snapshot = { ...(await awsSnapshot("2026-08-21-18-57-05")), syncToken: "9".repeat(30) };

    const error = rejection(() => checkNotFromTheFuture(snapshot, NOW, ONE_DAY));

    expect(error.reason).toBe(
      `syncToken ${"9".repeat(30)} is more than 86400 s after now (2026-08-21T20:00:00.000Z)`,
    );
  });

  it("tells a stored token beyond the tolerance from a genuine one", () => {
    expect(isFutureSyncToken("4102444800", NOW, ONE_DAY)).toBe(true);
    expect(isFutureSyncToken("1787338625", NOW, ONE_DAY)).toBe(false);
    expect(isFutureSyncToken(String(NOW.getTime() / 1000 + ONE_DAY), NOW, ONE_DAY)).toBe(false);
  });
});

describe("a CloudFront list with a top-level key it did not have before", () => {
  it("reads an extra list of CIDRs as one more list, named by its key, so no prefix is lost", async () => {
    // Prepare
    const list = await realCloudFrontList();
    const global = list.CLOUDFRONT_GLOBAL_IP_LIST ?? [];
    const moved = {
      ...list,
      CLOUDFRONT_GLOBAL_IP_LIST: global.slice(0, 50),
      CLOUDFRONT_EDGE_V2: global.slice(50),
    };

    // Act
    const snapshot = parseFeedSnapshot("cloudfront", encode(JSON.stringify(moved)));

    // Assess
    expect(snapshot.prefixCount).toEqual({ v4: 131, v6: 0 });
    expect(snapshot.prefixes.filter((p) => p.service === "CLOUDFRONT_EDGE_V2")).toHaveLength(
      global.length - 50,
    );
    expect(snapshot.prefixes).toContainEqual({
      prefix: global[50],
      family: 4,
      service: "CLOUDFRONT_EDGE_V2",
      region: "GLOBAL",
      networkBorderGroup: "GLOBAL",
    });
  });

  it("names an extra `…_IP_LIST` key's list without the suffix, as the known lists are", async () => {
    const list = await realCloudFrontList();

    const snapshot = parseFeedSnapshot(
      "cloudfront",
      encode(JSON.stringify({ ...list, CLOUDFRONT_ORIGIN_FACING_IP_LIST: ["3.172.0.0/18"] })),
    );

    expect(snapshot.prefixes).toContainEqual(
      expect.objectContaining({ prefix: "3.172.0.0/18", service: "CLOUDFRONT_ORIGIN_FACING" }),
    );
  });

  it.each([
    [
      "a string",
      { SYNC_TOKEN: "1787338625" },
      'unexpected key "SYNC_TOKEN": a string, not a list of CIDRs',
    ],
    ["an object", { META: { v: 2 } }, 'unexpected key "META": an object, not a list of CIDRs'],
    ["a list of numbers", { IDS: [1, 2] }, 'unexpected key "IDS": IDS[0] is a number, not a CIDR'],
    [
      "a list with an invalid CIDR",
      { CLOUDFRONT_EDGE_V2: ["13.32.0.0/15", "13.32.0.0/33"] },
      'invalid CIDR "13.32.0.0/33" at CLOUDFRONT_EDGE_V2[1]: is not a valid IPv4 CIDR',
    ],
  ])("rejects an extra key holding %s, naming the key", async (_case, extra, reason) => {
    const list = await realCloudFrontList();

    const error = rejection(() =>
      parseFeedSnapshot("cloudfront", encode(JSON.stringify({ ...list, ...extra }))),
    );

    expect(error.message).toBe(`feed cloudfront rejected: ${reason}`);
  });

  it("lets a relevance for every service of the list keep the extra list's prefixes", () => {
    const prefix: FeedPrefix = {
      prefix: "13.32.0.0/15",
      family: 4,
      service: "CLOUDFRONT_EDGE_V2",
      region: "GLOBAL",
      networkBorderGroup: "GLOBAL",
    };
    const known = { services: ["CLOUDFRONT_GLOBAL", "CLOUDFRONT_REGIONAL_EDGE"] };

    expect(isRelevantPrefix(prefix, known)).toBe(false);
    expect(isRelevantPrefix(prefix, { ...known, everyService: true })).toBe(true);
  });
});
