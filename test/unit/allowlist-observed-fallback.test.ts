import { beforeAll, describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import type { FeedPrefix, FeedSnapshotMeta, RangeMatcher } from "#shared/domain/feed";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import type { FeedSnapshot } from "#shared/observe/feeds/snapshot";
import { awsSnapshot } from "#test/helpers/feed-fixtures";
import { catalogue, HOSTS, observation, steadyState } from "#test/helpers/verdict-fixtures";

/** services1.clearswift.net's address in the shipped zone: EC2 eu-west-2 in the real feed. */
const SERVICES1_IP = "35.176.44.12";
/** A feed that passes the count check but drops whole regions (QA's noeu.json). */
const DROPPED_REGIONS = new Set(["eu-central-1", "eu-west-2"]);

function awsMatcher(snapshot: FeedSnapshot, prefixes: FeedPrefix[]): RangeMatcher {
  const meta = {
    feed: "aws-ip-ranges",
    sha256: snapshot.sha256,
    ...(snapshot.syncToken === undefined ? {} : { syncToken: snapshot.syncToken }),
    fetchedAt: "2026-08-21T18:20:00.000Z",
    source: "https://ip-ranges.amazonaws.com/ip-ranges.json",
    archiveKey: `feeds/aws-ip-ranges/${snapshot.sha256}.json`,
    prefixCount: snapshot.prefixCount,
  } satisfies FeedSnapshotMeta;
  return createRangeMatcher(meta, prefixes);
}

function serviceAvailability(matcher: RangeMatcher) {
  const observations = steadyState(observation(HOSTS.aws, { active: [SERVICES1_IP] }));
  const lists = buildAllowlists({
    catalogue,
    observations,
    matchers: new Map([["aws-ip-ranges" as const, matcher]]),
  });
  return lists.find((l) => l.group === "service-availability");
}

describe("allowlist of an aws-ip-ranges endpoint against the real ip-ranges.json", () => {
  let snapshot: FeedSnapshot;
  beforeAll(async () => {
    snapshot = await awsSnapshot("2026-08-21-18-17-05");
  });

  it("lists the region's EC2 prefixes, not the covered address, while the feed publishes it", () => {
    // Act
    const list = serviceAvailability(awsMatcher(snapshot, snapshot.prefixes));

    // Assess
    expect(list?.addresses).toContain("35.176.0.0/15");
    expect(list?.addresses).not.toContain(SERVICES1_IP);
  });

  it("keeps the observed address when a feed drops the regions the host is served from", () => {
    // Prepare
    const noeu = snapshot.prefixes.filter((p) => !DROPPED_REGIONS.has(p.region));

    // Act
    const list = serviceAvailability(awsMatcher(snapshot, noeu));

    // Assess: never empty while the host resolves; the address is listed explicitly
    expect(list?.addresses).toEqual([SERVICES1_IP]);
  });
});
