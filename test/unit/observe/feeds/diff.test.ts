import { describe, expect, it } from "vitest";
import type { FeedPrefix } from "#shared/domain/feed";
import { diffFeedPrefixes, summariseFeedDiff } from "#shared/observe/feeds/diff";
import { awsSnapshot } from "#test/helpers/feed-fixtures";

const FLAP = "1.178.86.0/24";

function prefix(text: string, service: string, region: string, nbg = region): FeedPrefix {
  return {
    prefix: text,
    family: text.includes(":") ? 6 : 4,
    service,
    region,
    networkBorderGroup: nbg,
  };
}

describe("diffing consecutive real versions of ip-ranges.json", () => {
  it("reports a genuine addition and the flapping prefix's withdrawal under every service that lists them", async () => {
    // Prepare
    const before = await awsSnapshot("2026-08-21-18-57-05");
    const after = await awsSnapshot("2026-08-21-21-17-05");

    // Act
    const changes = diffFeedPrefixes(before.prefixes, after.prefixes);

    // Assess
    expect(changes.added).toEqual([
      prefix("23.254.40.0/23", "AMAZON", "ca-central-1"),
      prefix("23.254.40.0/23", "EC2", "ca-central-1"),
    ]);
    expect(changes.removed).toEqual([
      prefix(FLAP, "AMAZON", "ap-southeast-3"),
      prefix(FLAP, "EC2", "ap-southeast-3"),
    ]);
  });

  it("reports the re-publication of the flapping prefix as an addition (damping comes later)", async () => {
    const before = await awsSnapshot("2026-08-21-21-17-05");
    const after = await awsSnapshot("2026-08-21-22-37-05");

    const changes = diffFeedPrefixes(before.prefixes, after.prefixes);

    expect(changes.added.map((p) => `${p.prefix} ${p.service}`)).toEqual([
      `${FLAP} AMAZON`,
      `${FLAP} EC2`,
    ]);
    expect(changes.removed).toEqual([]);
  });

  it("reports nothing between a snapshot and itself", async () => {
    const snapshot = await awsSnapshot("2026-08-21-18-17-05");

    expect(diffFeedPrefixes(snapshot.prefixes, snapshot.prefixes)).toEqual({
      added: [],
      removed: [],
    });
  });

  it("groups the changes per service and region", async () => {
    const before = await awsSnapshot("2026-08-21-18-57-05");
    const after = await awsSnapshot("2026-08-21-21-17-05");

    const groups = summariseFeedDiff(diffFeedPrefixes(before.prefixes, after.prefixes));

    expect(groups).toEqual([
      { service: "AMAZON", region: "ap-southeast-3", family: 4, added: [], removed: [FLAP] },
      {
        service: "AMAZON",
        region: "ca-central-1",
        family: 4,
        added: ["23.254.40.0/23"],
        removed: [],
      },
      { service: "EC2", region: "ap-southeast-3", family: 4, added: [], removed: [FLAP] },
      { service: "EC2", region: "ca-central-1", family: 4, added: ["23.254.40.0/23"], removed: [] },
    ]);
  });
});

describe("the diff key", () => {
  it("treats a prefix moving to another service as one removal and one addition", () => {
    const changes = diffFeedPrefixes(
      [prefix("52.94.0.0/22", "AMAZON", "us-east-1")],
      [prefix("52.94.0.0/22", "EC2", "us-east-1")],
    );

    expect(changes).toEqual({
      added: [prefix("52.94.0.0/22", "EC2", "us-east-1")],
      removed: [prefix("52.94.0.0/22", "AMAZON", "us-east-1")],
    });
  });

  it("tells network border groups of the same region apart", () => {
    const changes = diffFeedPrefixes(
      [prefix("15.230.0.0/24", "AMAZON", "us-east-1", "us-east-1")],
      [prefix("15.230.0.0/24", "AMAZON", "us-east-1", "us-east-1-bos-1")],
    );

    expect(changes.added).toEqual([
      prefix("15.230.0.0/24", "AMAZON", "us-east-1", "us-east-1-bos-1"),
    ]);
    expect(changes.removed).toEqual([prefix("15.230.0.0/24", "AMAZON", "us-east-1", "us-east-1")]);
  });

  it("keeps IPv4 and IPv6 apart and lists IPv4 first", () => {
    const changes = diffFeedPrefixes(
      [],
      [
        prefix("2600:1f12:d63:d100::/56", "EFS", "us-gov-west-1"),
        prefix("40.39.100.0/22", "EFS", "us-gov-west-1"),
      ],
    );

    expect(changes.added.map((p) => p.family)).toEqual([4, 6]);
    expect(summariseFeedDiff(changes).map((g) => [g.family, g.added])).toEqual([
      [4, ["40.39.100.0/22"]],
      [6, ["2600:1f12:d63:d100::/56"]],
    ]);
  });
});
