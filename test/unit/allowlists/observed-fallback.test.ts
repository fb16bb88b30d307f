import { beforeAll, describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { feedWithdrawalsOf } from "#shared/allowlists/stranded";
import type { WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type {
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
  RangeMatcher,
} from "#shared/domain/feed";
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

const SERVICES1_ID = "service-availability-list/services1.clearswift.net";

function serviceAvailability(
  matcher: RangeMatcher,
  facts: { active?: string[]; entered?: string[] } = { active: [SERVICES1_IP] },
  context: Pick<Parameters<typeof buildAllowlists>[0], "withdrawals" | "written"> = {},
) {
  const observations = steadyState(observation(HOSTS.aws, facts));
  const lists = buildAllowlists({
    catalogue,
    observations,
    matchers: new Map([["aws-ip-ranges" as const, matcher]]),
    ...context,
  });
  return lists.find((l) => l.group === "service-availability");
}

/** The last written document of the group, listing `addresses` for services1. */
function writtenWith(addresses: string[]): Map<string, WrittenAllowlist> {
  return new Map([
    [
      "service-availability",
      {
        schemaVersion: 1,
        group: "service-availability",
        endpoints: [{ id: SERVICES1_ID, policy: "aws-ip-ranges", addresses }],
      },
    ],
  ]);
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

  it("keeps the observed address when this run's feed change drops the regions it is served from", () => {
    // Prepare: the withdrawal of the regions is this run's diff
    const noeu = snapshot.prefixes.filter((p) => !DROPPED_REGIONS.has(p.region));
    const dropped = snapshot.prefixes.filter((p) => DROPPED_REGIONS.has(p.region));
    const after = awsMatcher(snapshot, noeu);
    const withdrawals = feedWithdrawalsOf({
      results: [withdrawal(snapshot, dropped)],
      matchers: new Map([["aws-ip-ranges" as const, after]]),
    });

    // Act
    const list = serviceAvailability(after, { active: [SERVICES1_IP] }, { withdrawals });

    // Assess: never empty while the host resolves; the address is listed explicitly
    expect(list?.addresses).toEqual([SERVICES1_IP]);
  });

  it("keeps a stranded address on later runs without a feed change while the host uses it", () => {
    // Prepare: the feed unchanged since; the last written list had the stranded address
    const noeu = awsMatcher(
      snapshot,
      snapshot.prefixes.filter((p) => !DROPPED_REGIONS.has(p.region)),
    );

    // Act
    const used = serviceAvailability(
      noeu,
      { active: [SERVICES1_IP] },
      {
        written: writtenWith([SERVICES1_IP]),
      },
    );
    const unused = serviceAvailability(
      noeu,
      { active: [] },
      { written: writtenWith([SERVICES1_IP]) },
    );

    // Assess
    expect(used?.addresses).toEqual([SERVICES1_IP]);
    expect(unused?.addresses).toEqual([]);
  });

  it("never lists an address that enters outside every published range", () => {
    // Prepare: the feed is unchanged; the host newly resolves to an address no range contains
    const outsider = "198.51.100.77";

    // Act
    const list = serviceAvailability(
      awsMatcher(snapshot, snapshot.prefixes),
      { active: [SERVICES1_IP], entered: [outsider] },
      { withdrawals: new Map(), written: writtenWith(["35.176.0.0/15", outsider]) },
    );

    // Assess: the region's prefix, not the new address (even one an older list named)
    expect(list?.addresses).toContain("35.176.0.0/15");
    expect(list?.addresses).not.toContain(outsider);
  });

  it("does not list a standing address outside every range that no change stranded", () => {
    // Prepare: outside the ranges, but neither withdrawn this run nor listed before
    const noeu = awsMatcher(
      snapshot,
      snapshot.prefixes.filter((p) => !DROPPED_REGIONS.has(p.region)),
    );

    // Act
    const list = serviceAvailability(
      noeu,
      { active: [SERVICES1_IP] },
      { written: writtenWith([]) },
    );

    // Assess
    expect(list?.addresses).toEqual([]);
  });
});

function withdrawal(snapshot: FeedSnapshot, removed: FeedPrefix[]): FeedIngestResult {
  const before = awsMatcher(snapshot, snapshot.prefixes).meta;
  const after = { ...before, sha256: "e".repeat(64) };
  return {
    feed: "aws-ip-ranges",
    status: "updated",
    current: after,
    diff: { feed: "aws-ip-ranges", from: before, to: after, added: [], removed },
  };
}
