import { describe, expect, it } from "vitest";
import { diffFeedPrefixes } from "#shared/observe/feeds/diff";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

function ipRanges(ipv6Prefix: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      syncToken: "1787336225",
      createDate: "2026-08-21-18-17-05",
      prefixes: [
        {
          ip_prefix: "3.8.0.0/14",
          region: "eu-west-2",
          service: "EC2",
          network_border_group: "eu-west-2",
        },
      ],
      ipv6_prefixes: [
        {
          ipv6_prefix: ipv6Prefix,
          region: "GLOBAL",
          service: "CLOUDFRONT",
          network_border_group: "GLOBAL",
        },
      ],
    }),
  );
}

describe("IPv6 prefixes of a feed in one normal form", () => {
  it("keeps an IPv6 prefix written out in full or in upper case as its compressed form", () => {
    // Prepare
    const expanded = ipRanges("2600:9000:0000:0000:0000:0000:0000:0000/28");
    const upper = ipRanges("2A05:D018::/32");

    // Act
    const fromExpanded = parseFeedSnapshot("aws-ip-ranges", expanded).prefixes;
    const fromUpper = parseFeedSnapshot("aws-ip-ranges", upper).prefixes;

    // Assess
    expect(fromExpanded.map((p) => p.prefix)).toEqual(["3.8.0.0/14", "2600:9000::/28"]);
    expect(fromUpper.map((p) => p.prefix)).toEqual(["3.8.0.0/14", "2a05:d018::/32"]);
  });

  it("finds no change between two versions that write the same prefix differently", () => {
    // Prepare
    const before = parseFeedSnapshot("aws-ip-ranges", ipRanges("2600:9000::/28"));
    const after = parseFeedSnapshot("aws-ip-ranges", ipRanges("2600:9000:0:0::/28"));

    // Act
    const changes = diffFeedPrefixes(before.prefixes, after.prefixes);

    // Assess
    expect(changes).toEqual({ added: [], removed: [] });
  });
});

describe("a CloudFront list that repeats a CIDR", () => {
  it("keeps each (prefix, list) once and counts it once", () => {
    // Prepare
    const list = new TextEncoder().encode(
      JSON.stringify({
        CLOUDFRONT_GLOBAL_IP_LIST: ["13.32.0.0/15", "52.84.0.0/15", "13.32.0.0/15"],
        CLOUDFRONT_REGIONAL_EDGE_IP_LIST: ["13.32.0.0/15", "18.68.0.0/16"],
      }),
    );

    // Act
    const snapshot = parseFeedSnapshot("cloudfront", list);

    // Assess
    expect(snapshot.prefixes.map((p) => `${p.prefix} ${p.service}`)).toEqual([
      "13.32.0.0/15 CLOUDFRONT_GLOBAL",
      "52.84.0.0/15 CLOUDFRONT_GLOBAL",
      "13.32.0.0/15 CLOUDFRONT_REGIONAL_EDGE",
      "18.68.0.0/16 CLOUDFRONT_REGIONAL_EDGE",
    ]);
    expect(snapshot.prefixCount).toEqual({ v4: 4, v6: 0 });
  });
});
