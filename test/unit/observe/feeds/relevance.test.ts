import { describe, expect, it } from "vitest";
import type { FeedDiff, FeedPrefix, FeedSnapshotMeta } from "#shared/domain/feed";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import { regionsContaining, relevantPrefixChanges } from "#shared/observe/feeds/relevance";

const meta = {
  feed: "aws-ip-ranges",
  sha256: "b".repeat(64),
  syncToken: "1787347025",
  createDate: "2026-08-21-21-17-05",
  fetchedAt: "2026-08-21T21:17:30.000Z",
  source: "https://ip-ranges.amazonaws.com/ip-ranges.json",
  archiveKey: `feeds/aws-ip-ranges/${"b".repeat(64)}.json`,
  prefixCount: { v4: 10666, v6: 6160 },
} satisfies FeedSnapshotMeta;

function prefix(text: string, service: string, region: string): FeedPrefix {
  return { prefix: text, family: 4, service, region, networkBorderGroup: region };
}

const diff: FeedDiff = {
  feed: "aws-ip-ranges",
  from: { ...meta, sha256: "a".repeat(64) },
  to: meta,
  added: [
    prefix("23.254.40.0/23", "AMAZON", "ca-central-1"),
    prefix("23.254.40.0/23", "EC2", "ca-central-1"),
    prefix("51.72.26.128/25", "EFS", "eusc-de-east-1"),
    prefix("18.68.0.0/16", "CLOUDFRONT", "GLOBAL"),
  ],
  removed: [prefix("1.178.86.0/24", "EC2", "ap-southeast-3")],
  pendingRemovals: [prefix("1.178.86.0/24", "AMAZON", "ap-southeast-3")],
};

describe("relevant prefix changes", () => {
  it("keeps only the services the catalogue refers to", () => {
    const relevant = relevantPrefixChanges(diff, { services: ["CLOUDFRONT"] });

    expect(relevant.added).toEqual([prefix("18.68.0.0/16", "CLOUDFRONT", "GLOBAL")]);
    expect(relevant.removed).toEqual([]);
    expect(relevant.to).toBe(meta);
  });

  it("keeps services only in the regions listed, GLOBAL only when it is listed", () => {
    const relevant = relevantPrefixChanges(diff, {
      services: ["CLOUDFRONT", "AMAZON", "EC2"],
      regions: ["ap-southeast-3"],
    });

    expect(relevant.added).toEqual([]);
    expect(relevant.removed).toEqual([prefix("1.178.86.0/24", "EC2", "ap-southeast-3")]);
    expect(relevant.pendingRemovals).toEqual([prefix("1.178.86.0/24", "AMAZON", "ap-southeast-3")]);
    expect(
      relevantPrefixChanges(diff, { services: ["CLOUDFRONT"], regions: ["GLOBAL"] }).added,
    ).toEqual([prefix("18.68.0.0/16", "CLOUDFRONT", "GLOBAL")]);
  });

  it("leaves the full diff untouched", () => {
    relevantPrefixChanges(diff, { services: [] });

    expect(diff.added).toHaveLength(4);
  });
});

describe("regions containing catalogued IPs", () => {
  it("lists the regions of the ranges that contain the IPs, without GLOBAL", () => {
    const matcher = createRangeMatcher(meta, [
      prefix("1.178.86.0/24", "EC2", "ap-southeast-3"),
      prefix("1.178.0.0/16", "AMAZON", "GLOBAL"),
      prefix("23.254.40.0/23", "EC2", "ca-central-1"),
    ]);

    expect(regionsContaining(matcher, ["1.178.86.9", "23.254.41.1", "192.0.2.1"])).toEqual([
      "ap-southeast-3",
      "ca-central-1",
    ]);
    expect(regionsContaining(matcher, ["23.254.41.1"], ["AMAZON"])).toEqual([]);
  });
});
