import { describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { FeedPrefix, RangeMatcher } from "#shared/domain/feed";
import {
  AWS_META,
  CLOUDFRONT_META,
  catalogue,
  driftInput,
  feeds,
  HOSTS,
  matcher,
  observation,
  prefix,
  steadyState,
  updatedFeed,
} from "#test/helpers/verdict-fixtures";

/** Real-shaped: ip-ranges.json lists CloudFront and EC2 anycast ranges under region GLOBAL. */
const CLOUDFRONT_LIST = [
  prefix("13.32.0.0/15", "CLOUDFRONT_GLOBAL"),
  prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL"),
];
const AWS_RANGES = [
  prefix("3.8.0.0/14", "AMAZON", "eu-west-2"),
  prefix("3.8.0.0/14", "EC2", "eu-west-2"),
  prefix("52.94.0.0/22", "AMAZON", "us-east-1"),
  prefix("13.32.0.0/15", "AMAZON", "GLOBAL"),
  prefix("13.32.0.0/15", "CLOUDFRONT", "GLOBAL"),
  prefix("99.77.0.0/16", "EC2", "GLOBAL"),
  prefix("99.77.0.0/16", "AMAZON", "GLOBAL"),
  prefix("2600:9000::/28", "AMAZON", "GLOBAL"),
  prefix("2600:9000::/28", "CLOUDFRONT", "GLOBAL"),
];

function matchers(aws: FeedPrefix[] = AWS_RANGES): RangeMatcher[] {
  return [matcher(CLOUDFRONT_META, CLOUDFRONT_LIST), matcher(AWS_META, aws)];
}

function allowlistOf(group: string, observations = steadyState(), aws = AWS_RANGES) {
  const lists = buildAllowlists({
    catalogue,
    observations,
    matchers: new Map(matchers(aws).map((m) => [m.feed, m])),
  });
  return lists.find((list) => list.group === group)?.addresses;
}

describe("aws-ip-ranges endpoints and GLOBAL-region prefixes", () => {
  it("lists only the regional ranges of a host that resolves in one region", () => {
    // Prepare: services1 resolves to 3.8.1.20 (EC2, eu-west-2)

    // Act
    const addresses = allowlistOf("service-availability");

    // Assess: not the EC2 anycast ranges published under GLOBAL
    expect(addresses).toEqual(["3.8.0.0/14"]);
  });

  it("does not list every AMAZON GLOBAL range (CloudFront's among them) for an AMAZON-only host", () => {
    // Prepare: 52.94.0.10 is published as AMAZON us-east-1 only
    const observations = steadyState(observation(HOSTS.aws, { active: ["52.94.0.10"] }));

    // Act
    const addresses = allowlistOf("service-availability", observations);

    // Assess
    expect(addresses).toEqual(["52.94.0.0/22"]);
  });

  it("lists a GLOBAL range when the host's IPs lie in it", () => {
    // Prepare
    const observations = steadyState(observation(HOSTS.aws, { active: ["99.77.1.1"] }));

    // Act
    const addresses = allowlistOf("service-availability", observations);

    // Assess
    expect(addresses).toEqual(["99.77.0.0/16"]);
  });

  it("does not report GLOBAL-range changes to a group whose hosts resolve in one region", () => {
    // Prepare
    const result = updatedFeed("aws-ip-ranges", {
      added: [
        prefix("18.68.0.0/16", "AMAZON", "GLOBAL"),
        prefix("18.68.0.0/16", "CLOUDFRONT", "GLOBAL"),
        prefix("99.78.0.0/16", "EC2", "GLOBAL"),
      ],
      removed: [],
    });
    const input = driftInput(steadyState(), { feeds: feeds([result], matchers()) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });
});

describe("feed-ranges-changed for a withdrawn range a host relies on", () => {
  it("reports the removal of the range that contained the host's IP", () => {
    // Prepare: the EC2 eu-west-2 range of services1 (3.8.1.20) is withdrawn; AMAZON still has it
    const after = AWS_RANGES.filter((p) => !(p.prefix === "3.8.0.0/14" && p.service === "EC2"));
    const result = updatedFeed("aws-ip-ranges", {
      added: [],
      removed: [prefix("3.8.0.0/14", "EC2", "eu-west-2")],
    });
    const input = driftInput(steadyState(), { feeds: feeds([result], matchers(after)) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.subject.key, e.added, e.removed])).toEqual([
      ["feed-ranges-changed", "feed:aws-ip-ranges:service-availability", [], ["3.8.0.0/14"]],
    ]);
  });

  it("reports it when no published range contains the host's IP any more", () => {
    // Prepare
    const after = AWS_RANGES.filter((p) => p.prefix !== "3.8.0.0/14");
    const result = updatedFeed("aws-ip-ranges", {
      added: [],
      removed: [
        prefix("3.8.0.0/14", "AMAZON", "eu-west-2"),
        prefix("3.8.0.0/14", "EC2", "eu-west-2"),
      ],
    });
    const input = driftInput(steadyState(), { feeds: feeds([result], matchers(after)) });

    // Act
    const events = evaluateDrift(input);

    // Assess: EC2 is the narrowest service that published it; the host's standing IP is now
    // outside every published range
    expect(events.map((e) => [e.type, e.removed, e.evidence.prefixes])).toEqual([
      [
        "ip-outside-published-ranges",
        [],
        [
          { ...prefix("3.8.0.0/14", "AMAZON", "eu-west-2"), change: "removed" },
          { ...prefix("3.8.0.0/14", "EC2", "eu-west-2"), change: "removed" },
        ],
      ],
      [
        "feed-ranges-changed",
        ["3.8.0.0/14"],
        [{ ...prefix("3.8.0.0/14", "EC2", "eu-west-2"), change: "removed" }],
      ],
    ]);
  });
});

describe("IPv6 answers of a cloudfront endpoint (the CloudFront list is IPv4 only)", () => {
  it("accepts an AAAA answer that ip-ranges.json publishes as CLOUDFRONT", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["2600:9000:2000::1"] }),
    );
    const input = driftInput(observations, { feeds: feeds([], matchers()) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports an AAAA answer outside CloudFront's published IPv6 ranges", () => {
    // Prepare: 2a05:d018::1 is not CloudFront (and 2600:9000::/28 AMAZON alone would not do)
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["2a05:d018::1"] }),
    );
    const input = driftInput(observations, { feeds: feeds([], matchers()) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
      ["ip-added", "high", ["2a05:d018::1"]],
      ["ip-outside-published-ranges", "high", ["2a05:d018::1"]],
    ]);
  });

  it("reports an AAAA answer as unjudged, medium, when no ip-ranges.json snapshot exists", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["2600:9000:2000::1"] }),
    );
    const input = driftInput(observations, {
      feeds: feeds([], [matcher(CLOUDFRONT_META, CLOUDFRONT_LIST)]),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
      ["ip-added", "medium", ["2600:9000:2000::1"]],
    ]);
  });

  it("says nothing when a CloudFront IPv6 address leaves", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], left: ["2600:9000:2000::1"] }),
    );
    const input = driftInput(observations, { feeds: feeds([], matchers()) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("keeps a CloudFront IPv6 address in the allowlist, which the IPv4 list cannot cover", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10", "2600:9000:2000::1"] }),
    );

    // Act
    const addresses = allowlistOf("product-updates", observations);

    // Assess
    expect(addresses).toEqual(["13.32.0.0/15", "52.84.0.0/15", "2600:9000:2000::1"]);
  });
});

describe("a prefix that moves between lists or border groups", () => {
  // 54.239.128.0/18 moves from the regional edge list to the global list of CloudFront
  const moved = "54.239.128.0/18";
  const listAfter = [...CLOUDFRONT_LIST, prefix(moved, "CLOUDFRONT_GLOBAL")];

  it("is no addition while the old entry is still published or pending removal", () => {
    // Prepare: the regional edge entry is pending removal, so the matcher still has it
    const result = updatedFeed("cloudfront", {
      added: [prefix(moved, "CLOUDFRONT_GLOBAL")],
      removed: [],
    });
    const current = matcher(CLOUDFRONT_META, [
      ...listAfter,
      prefix(moved, "CLOUDFRONT_REGIONAL_EDGE"),
    ]);
    const input = driftInput(steadyState(), {
      feeds: feeds([result], [current, matcher(AWS_META, AWS_RANGES)]),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("is no removal when the old entry's removal comes due: the prefix is still published", () => {
    // Prepare
    const result = {
      ...updatedFeed("cloudfront", {
        added: [],
        removed: [prefix(moved, "CLOUDFRONT_REGIONAL_EDGE")],
      }),
      status: "unchanged" as const,
    };
    const input = driftInput(steadyState(), {
      feeds: feeds([result], [matcher(CLOUDFRONT_META, listAfter), matcher(AWS_META, AWS_RANGES)]),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("still reports a prefix that is really new or really gone", () => {
    // Prepare
    const result = updatedFeed("cloudfront", {
      added: [prefix("18.68.0.0/16", "CLOUDFRONT_GLOBAL")],
      removed: [prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL")],
    });
    const current = matcher(CLOUDFRONT_META, [
      prefix("13.32.0.0/15", "CLOUDFRONT_GLOBAL"),
      prefix("18.68.0.0/16", "CLOUDFRONT_GLOBAL"),
    ]);
    const input = driftInput(steadyState(), {
      feeds: feeds([result], [current, matcher(AWS_META, AWS_RANGES)]),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.added, e.removed])).toEqual([
      ["feed-ranges-changed", ["18.68.0.0/16"], ["52.84.0.0/15"]],
    ]);
  });
});
