import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "#shared/observe/feeds/errors";
import {
  checkNotificationMd5,
  checkPrefixCounts,
  compareSyncTokens,
  parseFeedSnapshot,
} from "#shared/observe/feeds/snapshot";
import {
  AWS_VERSIONS,
  awsSnapshot,
  readAwsIpRanges,
  readCloudFront,
} from "#test/helpers/feed-fixtures";

const encode = (text: string) => new TextEncoder().encode(text);

function ipRanges(overrides: Record<string, unknown> = {}): Uint8Array {
  return encode(
    JSON.stringify({
      syncToken: "1787347025",
      createDate: "2026-08-21-21-17-05",
      prefixes: [
        {
          ip_prefix: "3.4.12.4/32",
          region: "eu-west-1",
          service: "AMAZON",
          network_border_group: "eu-west-1",
        },
      ],
      ipv6_prefixes: [
        {
          ipv6_prefix: "2406:daba:f000::/40",
          region: "ap-southeast-4",
          service: "AMAZON",
          network_border_group: "ap-southeast-4",
        },
      ],
      ...overrides,
    }),
  );
}

function rejection(action: () => unknown): FeedRejectedError {
  try {
    action();
  } catch (error) {
    if (error instanceof FeedRejectedError) return error;
    throw error;
  }
  throw new Error("expected a FeedRejectedError");
}

describe("parsing a real ip-ranges.json", () => {
  it("normalises every IPv4 and IPv6 prefix with its service, region and border group", async () => {
    // Prepare
    const bytes = await readAwsIpRanges("2026-08-21-21-17-05");

    // Act
    const snapshot = parseFeedSnapshot("aws-ip-ranges", bytes);

    // Assess
    expect(snapshot.syncToken).toBe("1787347025");
    expect(snapshot.createDate).toBe("2026-08-21-21-17-05");
    expect(snapshot.prefixCount).toEqual({ v4: 10666, v6: 6160 });
    expect(snapshot.prefixes[0]).toEqual({
      prefix: "3.4.12.4/32",
      family: 4,
      service: "AMAZON",
      region: "eu-west-1",
      networkBorderGroup: "eu-west-1",
    });
    expect(
      snapshot.prefixes.filter((p) => p.region !== p.networkBorderGroup).length,
    ).toBeGreaterThan(300);
  });

  it("hashes the raw bytes to the md5 the AmazonIpSpaceChanged notification carried", async () => {
    const snapshot = await awsSnapshot("2026-08-21-18-57-05");

    expect(snapshot.md5).toBe(AWS_VERSIONS["2026-08-21-18-57-05"].md5);
    expect(snapshot.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("parsing the real CloudFront list", () => {
  it("maps both lists to CLOUDFRONT_GLOBAL / CLOUDFRONT_REGIONAL_EDGE in region GLOBAL", async () => {
    const snapshot = parseFeedSnapshot("cloudfront", await readCloudFront());

    expect(snapshot.prefixCount).toEqual({ v4: 131, v6: 0 });
    expect(snapshot.syncToken).toBeUndefined();
    const services = new Set(snapshot.prefixes.map((p) => p.service));
    expect([...services].sort()).toEqual(["CLOUDFRONT_GLOBAL", "CLOUDFRONT_REGIONAL_EDGE"]);
    expect(
      snapshot.prefixes.every((p) => p.region === "GLOBAL" && p.networkBorderGroup === "GLOBAL"),
    ).toBe(true);
    expect(snapshot.prefixes).toContainEqual(
      expect.objectContaining({ prefix: "120.52.22.96/27", service: "CLOUDFRONT_GLOBAL" }),
    );
  });
});

describe("rejecting a corrupt feed", () => {
  it.each([
    [
      "an HTML error page",
      encode("<!DOCTYPE html><html><body>503 Service Unavailable</body></html>"),
      /HTML page instead of JSON/,
    ],
    ["a body that is not JSON", encode("Service Unavailable"), /not JSON/],
    ["an empty body", new Uint8Array(), /empty body/],
    ["bytes that are not UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
    ["an empty prefixes list", ipRanges({ prefixes: [] }), /empty list: prefixes has no entries/],
    ["an empty ipv6_prefixes list", ipRanges({ ipv6_prefixes: [] }), /empty list: ipv6_prefixes/],
    ["a missing syncToken", ipRanges({ syncToken: undefined }), /schema: syncToken/],
    [
      "a prefix without a region",
      ipRanges({
        prefixes: [{ ip_prefix: "3.4.12.4/32", service: "AMAZON", network_border_group: "x" }],
      }),
      /schema: prefixes\[0\]\.region/,
    ],
    [
      "an IPv4 prefix that is not a CIDR",
      ipRanges({
        prefixes: [
          { ip_prefix: "3.4.12.400/32", region: "r", service: "AMAZON", network_border_group: "r" },
        ],
      }),
      /invalid CIDR "3\.4\.12\.400\/32" at prefixes\[0\]\.ip_prefix/,
    ],
    [
      "a prefix length beyond /32",
      ipRanges({
        prefixes: [
          { ip_prefix: "3.4.12.4/33", region: "r", service: "AMAZON", network_border_group: "r" },
        ],
      }),
      /invalid CIDR "3\.4\.12\.4\/33"/,
    ],
    [
      "IPv4 host bits set",
      ipRanges({
        prefixes: [
          { ip_prefix: "3.4.12.4/24", region: "r", service: "AMAZON", network_border_group: "r" },
        ],
      }),
      /host bits set beyond \/24/,
    ],
    [
      "a non-canonical IPv4 prefix",
      ipRanges({
        prefixes: [
          { ip_prefix: "03.4.12.0/24", region: "r", service: "AMAZON", network_border_group: "r" },
        ],
      }),
      /invalid CIDR "03\.4\.12\.0\/24"/,
    ],
    [
      "IPv6 host bits set",
      ipRanges({
        ipv6_prefixes: [
          {
            ipv6_prefix: "2406:daba:f001::/40",
            region: "r",
            service: "AMAZON",
            network_border_group: "r",
          },
        ],
      }),
      /host bits set beyond \/40/,
    ],
    [
      "an IPv6 prefix in the IPv4 list",
      ipRanges({
        prefixes: [
          {
            ip_prefix: "2406:daba::/32",
            region: "r",
            service: "AMAZON",
            network_border_group: "r",
          },
        ],
      }),
      /is not a valid IPv4 CIDR/,
    ],
  ])("rejects %s, naming the feed and the reason", (_case, bytes, reason) => {
    const error = rejection(() => parseFeedSnapshot("aws-ip-ranges", bytes));

    expect(error.feed).toBe("aws-ip-ranges");
    expect(error.message).toMatch(/^feed aws-ip-ranges rejected: /);
    expect(error.reason).toMatch(reason);
  });

  it("rejects a real ip-ranges.json cut off mid-transfer as truncated", async () => {
    const bytes = await readAwsIpRanges("2026-08-21-21-17-05");

    const error = rejection(() => parseFeedSnapshot("aws-ip-ranges", bytes.subarray(0, 1_000_000)));

    expect(error.reason).toBe("truncated body: the JSON ends early after 1000000 bytes");
  });

  it("rejects an HTML page even when it is served as JSON-looking text with an HTML content type", () => {
    const error = rejection(() =>
      parseFeedSnapshot("cloudfront", encode('{"maintenance": true}'), {
        contentType: "text/html; charset=utf-8",
      }),
    );

    expect(error.reason).toMatch(/HTML page instead of JSON \(content-type text\/html/);
  });

  it("rejects a CloudFront list whose regional edge list is empty", () => {
    const bytes = encode(
      JSON.stringify({
        CLOUDFRONT_GLOBAL_IP_LIST: ["13.32.0.0/15"],
        CLOUDFRONT_REGIONAL_EDGE_IP_LIST: [],
      }),
    );

    const error = rejection(() => parseFeedSnapshot("cloudfront", bytes));

    expect(error.feed).toBe("cloudfront");
    expect(error.reason).toBe("empty list: CLOUDFRONT_REGIONAL_EDGE_IP_LIST has no entries");
  });
});

describe("counts against the previous snapshot", () => {
  it("rejects a snapshot that lost more than half of the previous IPv4 prefixes", () => {
    const error = rejection(() =>
      checkPrefixCounts("aws-ip-ranges", { v4: 5000, v6: 6160 }, { v4: 10666, v6: 6160 }, 0.5),
    );

    expect(error.reason).toBe(
      "prefix count collapsed: v4 10666 -> 5000 (below 50% of the previous snapshot)",
    );
  });

  it("accepts a snapshot at the configured ratio and ignores a family the previous one lacked", () => {
    expect(() =>
      checkPrefixCounts("cloudfront", { v4: 66, v6: 3 }, { v4: 131, v6: 0 }, 0.5),
    ).not.toThrow();
    expect(() =>
      checkPrefixCounts("cloudfront", { v4: 66, v6: 0 }, { v4: 131, v6: 0 }, 0.6),
    ).toThrow(FeedRejectedError);
  });
});

describe("the md5 of an AmazonIpSpaceChanged notification", () => {
  const notification = (md5: string, syncToken = "1787347025") => ({
    md5,
    syncToken,
    createTime: "2026-08-21T21:17:05+00:00",
    url: "https://ip-ranges.amazonaws.com/ip-ranges.json",
  });

  it("verifies the body of the version it announced", async () => {
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");

    expect(checkNotificationMd5(snapshot, notification("93379C652A994E45F983F9715B02DB58"))).toBe(
      "verified",
    );
  });

  it("rejects a body whose md5 differs for the same syncToken", async () => {
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");

    const error = rejection(() => checkNotificationMd5(snapshot, notification("0".repeat(32))));

    expect(error.reason).toBe(
      `md5 mismatch for syncToken 1787347025: notification says ${"0".repeat(32)}, body has 93379c652a994e45f983f9715b02db58`,
    );
  });

  it("does not apply to a body of another version (a late notification)", async () => {
    const snapshot = await awsSnapshot("2026-08-21-22-37-05");

    expect(checkNotificationMd5(snapshot, notification("0".repeat(32)))).toBe("not-applicable");
  });
});

describe("syncTokens", () => {
  it("compare as numbers, not strings", () => {
    expect(compareSyncTokens("999999999", "1787347025")).toBeLessThan(0);
    expect(compareSyncTokens("1787347025", "1787347025")).toBe(0);
    expect(compareSyncTokens("1787351825", "1787347025")).toBeGreaterThan(0);
  });
});
