import { describe, expect, it } from "vitest";
import {
  feedPointerItem,
  parseFeedPointer,
  unjudgedUpdate,
} from "#shared/adapters/dynamodb/feed-pointer-store/feed-pointer-item";
import type { FeedPointer, UnjudgedFeedChange } from "#shared/observe/feeds/ports";
import { AWS_META, prefix, snapshotMeta } from "#test/helpers/verdict-fixtures";

const NEXT_META = snapshotMeta("aws-ip-ranges", "b".repeat(64), "1787311020");

function pointer(overrides: Partial<FeedPointer> = {}): FeedPointer {
  return {
    feed: "aws-ip-ranges",
    version: 3,
    url: "https://ip-ranges.amazonaws.com/ip-ranges.json",
    meta: AWS_META,
    etag: '"abc"',
    damping: { pending: [] },
    confirmedAt: "2026-08-21T10:20:00.000Z",
    updatedAt: "2026-08-21T10:20:00.000Z",
    ...overrides,
  };
}

/** A change withdrawing `count` prefixes (JSON of ~150 bytes each). */
function change(changeId: string, count = 1): UnjudgedFeedChange {
  return {
    changeId,
    runId: "run-1",
    acceptedAt: "2026-08-21T10:20:00.000Z",
    diff: {
      feed: "aws-ip-ranges",
      from: AWS_META,
      to: NEXT_META,
      added: [],
      removed: Array.from({ length: count }, (_, i) =>
        prefix(`10.${(i >> 8) & 255}.${i & 255}.0/24`, "EC2", "eu-west-2"),
      ),
    },
  };
}

describe("the feed pointer item", () => {
  it("reads back as the pointer it was written from", () => {
    // Prepare
    const current = pointer({ unjudged: [change("c1")] });

    // Act
    const item = feedPointerItem(current);

    // Assess
    expect(item).toMatchObject({ pk: "FEED#aws-ip-ranges", sk: "CURRENT", kind: "feed-pointer" });
    expect(item.dampingGz).toBeUndefined();
    expect(item.unjudgedGz).toBeUndefined();
    expect(parseFeedPointer(item)).toEqual(current);
  });

  it("gzips a damping state and an unjudged list over 100 kB, and reads them back", () => {
    // Prepare
    const withdrawal = change("c1", 1_000);
    const current = pointer({
      damping: {
        pending: withdrawal.diff.removed.map((removed) => ({
          prefix: removed,
          since: "2026-08-21T10:20:00.000Z",
          runs: 1,
        })),
      },
      unjudged: [withdrawal],
    });

    // Act
    const item = feedPointerItem(current);

    // Assess
    expect(item.damping).toBeUndefined();
    expect(item.unjudged).toBeUndefined();
    expect(item.dampingGz).toBeInstanceOf(Uint8Array);
    expect(item.unjudgedGz).toBeInstanceOf(Uint8Array);
    expect(parseFeedPointer(item)).toEqual(current);
  });

  it("has no unjudged attribute when there is nothing to judge", () => {
    const item = feedPointerItem(pointer({ unjudged: [] }));

    expect(item.unjudged).toBeUndefined();
    expect(parseFeedPointer(item)).toEqual(pointer());
  });
});

describe("the update taking judged changes off the pointer", () => {
  it("removes the list when none is left, under the version read", () => {
    expect(unjudgedUpdate([], 3)).toEqual({
      UpdateExpression: "REMOVE unjudged, unjudgedGz",
      ConditionExpression: "#version = :version",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":version": 3 },
    });
  });

  it("writes what is left inline, or gzipped when large", () => {
    const small = unjudgedUpdate([change("c2")], 3);
    const large = unjudgedUpdate([change("c2", 1_000)], 3);

    expect(small.UpdateExpression).toBe("SET unjudged = :list REMOVE unjudgedGz");
    expect(small.ExpressionAttributeValues[":list"]).toEqual([change("c2")]);
    expect(large.UpdateExpression).toBe("SET unjudgedGz = :list REMOVE unjudged");
    expect(large.ExpressionAttributeValues[":list"]).toBeInstanceOf(Uint8Array);
  });
});
