import { describe, expect, it } from "vitest";
import type { FeedPrefix } from "#shared/domain/feed";
import { compareFeedPrefixes, diffFeedPrefixes } from "#shared/observe/feeds/diff";
import { feedPrefixKey } from "#shared/observe/feeds/snapshot";

/**
 * The diff equals the plain definition over (prefix, service, region, network_border_group) keys,
 * IPv4 and IPv6 apart: added = the next entries whose key the previous list lacks, removed = the
 * previous entries whose key the next list lacks, repeats included, sorted.
 */

let seed = 0xd1ff;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

const pick = <T>(options: readonly T[]): T => options[random() % options.length] as T;

/** Entries drawn from a small pool, so lists share, repeat and move prefixes between services. */
function entries(count: number): FeedPrefix[] {
  return Array.from({ length: count }, () => {
    const prefix = pick(["3.4.12.4/32", "1.178.86.0/24", "2406:daba:f000::/40", "52.94.0.0/22"]);
    return {
      prefix,
      family: prefix.includes(":") ? 6 : 4,
      service: pick(["AMAZON", "EC2", "S3"]),
      region: pick(["eu-west-1", "ap-southeast-3"]),
      networkBorderGroup: pick(["eu-west-1", "ap-southeast-3", "eu-west-1-wl1"]),
    } satisfies FeedPrefix;
  });
}

function byKeys(previous: FeedPrefix[], next: FeedPrefix[]) {
  const before = new Set(previous.map(feedPrefixKey));
  const after = new Set(next.map(feedPrefixKey));
  return {
    added: next.filter((p) => !before.has(feedPrefixKey(p))).sort(compareFeedPrefixes),
    removed: previous.filter((p) => !after.has(feedPrefixKey(p))).sort(compareFeedPrefixes),
  };
}

describe("the diff against the definition by keys", () => {
  it("agrees on random lists with repeats, moves and families mixed", () => {
    for (let round = 0; round < 500; round++) {
      // Prepare
      const previous = entries(random() % 30);
      const next = entries(random() % 30);

      // Act
      const changes = diffFeedPrefixes(previous, next);

      // Assess
      expect(changes).toEqual(byKeys(previous, next));
    }
  });
});
