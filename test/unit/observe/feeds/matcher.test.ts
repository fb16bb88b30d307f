import { describe, expect, it } from "vitest";
import type { FeedPrefix, FeedSnapshotMeta } from "#shared/domain/feed";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";
import { awsSnapshot, readCloudFront } from "#test/helpers/feed-fixtures";

function metaFor(feed: "aws-ip-ranges" | "cloudfront", sha256: string): FeedSnapshotMeta {
  return {
    feed,
    sha256,
    fetchedAt: "2026-08-21T21:17:30.000Z",
    source: "file:///fixtures",
    archiveKey: `feeds/${feed}/${sha256}.json`,
    prefixCount: { v4: 0, v6: 0 },
  } satisfies FeedSnapshotMeta;
}

const label = (prefixes: FeedPrefix[]) =>
  prefixes.map((p) => `${p.prefix} ${p.service} ${p.networkBorderGroup}`);

describe("the range matcher over a real ip-ranges.json", async () => {
  const snapshot = await awsSnapshot("2026-08-21-18-57-05");
  const matcher = createRangeMatcher(metaFor("aws-ip-ranges", snapshot.sha256), snapshot.prefixes);

  it("returns every service that publishes a range containing the IP", () => {
    expect(label(matcher.contains("1.178.86.77"))).toEqual([
      "1.178.86.0/24 AMAZON ap-southeast-3",
      "1.178.86.0/24 EC2 ap-southeast-3",
    ]);
  });

  it("lists nested ranges least specific first", () => {
    expect(label(matcher.contains("3.0.5.33"))).toEqual([
      "3.0.0.0/15 AMAZON ap-southeast-1",
      "3.0.0.0/15 EC2 ap-southeast-1",
      "3.0.5.32/29 EC2_INSTANCE_CONNECT ap-southeast-1",
    ]);
  });

  it("answers IPv6 lookups from the IPv6 ranges", () => {
    const found = matcher.contains("2406:daba:f000::1");

    expect(found.map((p) => p.prefix)).toContain("2406:daba:f000::/40");
    expect(found.every((p) => p.family === 6)).toBe(true);
  });

  it("treats an IPv4-mapped IPv6 address as the IPv4 address", () => {
    expect(matcher.contains("::ffff:1.178.86.77")).toEqual(matcher.contains("1.178.86.77"));
  });

  it("returns nothing for an address no range contains", () => {
    expect(matcher.contains("192.0.2.1")).toEqual([]);
    expect(matcher.contains("2001:db8::1")).toEqual([]);
  });

  it("agrees with a linear scan on the boundaries of real prefixes", () => {
    // The first and last address of a sample of real prefixes, and the addresses just outside.
    const ranges = snapshot.prefixes
      .filter((p) => p.family === 4)
      .map((p) => ({ prefix: p, ...intRange(p.prefix) }));
    for (const { start, end } of ranges.filter((_, i) => i % 53 === 0)) {
      for (const n of [start - 1, start, end, end + 1]) {
        if (n < 0 || n > 0xffffffff) continue;
        const ip = [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
        const expected = ranges.filter((r) => r.start <= n && n <= r.end).map((r) => r.prefix);
        expect(new Set(matcher.contains(ip))).toEqual(new Set(expected));
      }
    }
  });

  it("throws on text that is not an IP address", () => {
    expect(() => matcher.contains("not-an-ip")).toThrow(RangeError);
    expect(() => matcher.contains("010.1.1.1")).toThrow(/is not an IP address/);
  });

  it("exposes the prefixes it was built from", () => {
    expect(matcher.prefixes).toHaveLength(snapshot.prefixes.length);
  });
});

describe("the range matcher over the real CloudFront list", () => {
  it("matches an edge address to the CloudFront global list", async () => {
    const snapshot = parseFeedSnapshot("cloudfront", await readCloudFront());
    const matcher = createRangeMatcher(metaFor("cloudfront", snapshot.sha256), snapshot.prefixes);

    expect(label(matcher.contains("13.32.10.20"))).toEqual([
      "13.32.0.0/15 CLOUDFRONT_GLOBAL GLOBAL",
    ]);
    expect(matcher.feed).toBe("cloudfront");
  });
});

function intRange(cidr: string): { start: number; end: number } {
  const [base, bits] = cidr.split("/") as [string, string];
  const start = base.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  return { start, end: start + 2 ** (32 - Number(bits)) - 1 };
}
