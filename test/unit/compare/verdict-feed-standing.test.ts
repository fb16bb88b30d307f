import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { FeedIngestResult, FeedPrefix, RangeMatcher } from "#shared/domain/feed";
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

const CLOUDFRONT_LIST = [
  prefix("13.32.0.0/15", "CLOUDFRONT_GLOBAL"),
  prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL"),
];
const AWS_RANGES = [
  prefix("3.8.0.0/14", "AMAZON", "eu-west-2"),
  prefix("3.8.0.0/14", "EC2", "eu-west-2"),
  prefix("18.130.0.0/16", "EC2", "eu-west-2"),
  prefix("52.94.0.0/22", "AMAZON", "us-east-1"),
  prefix("52.95.0.0/16", "AMAZON", "us-east-1"),
  prefix("2600:9000::/28", "CLOUDFRONT", "GLOBAL"),
];
/** ip-ranges.json without eu-west-2, as in a feed that drops whole regions. */
const WITHOUT_EU_WEST_2 = AWS_RANGES.filter((p) => p.region !== "eu-west-2");
const EU_WEST_2 = AWS_RANGES.filter((p) => p.region === "eu-west-2");

function matchers(aws: FeedPrefix[] = AWS_RANGES): RangeMatcher[] {
  return [matcher(CLOUDFRONT_META, CLOUDFRONT_LIST), matcher(AWS_META, aws)];
}

/** The feed withdrew eu-west-2 in this run (after damping). */
function euWest2Withdrawn(): FeedIngestResult {
  return updatedFeed("aws-ip-ranges", { added: [], removed: EU_WEST_2 });
}

const serviceAvailability = "endpoint:service-availability-list/services1.clearswift.net";

describe("ip-outside-published-ranges for a standing IP a feed change left outside", () => {
  it("reports the host's IP, high, once the ranges that contained it are withdrawn", () => {
    // Prepare: services1 keeps resolving to 3.8.1.20, which only eu-west-2 ranges contained
    const input = driftInput(steadyState(), {
      feeds: feeds([euWest2Withdrawn()], matchers(WITHOUT_EU_WEST_2)),
    });

    // Act
    const events = evaluateDrift(input).filter((e) => e.type === "ip-outside-published-ranges");

    // Assess
    expect(events.map((e) => [e.subject.key, e.severity, e.added])).toEqual([
      [serviceAvailability, "high", ["3.8.1.20"]],
    ]);
    const [event] = events;
    expect(event?.evidence.ips?.[0]?.publishedIn).toEqual([]);
    expect(event?.evidence.prefixes?.map((p) => [p.prefix, p.service, p.change])).toEqual([
      ["3.8.0.0/14", "AMAZON", "removed"],
      ["3.8.0.0/14", "EC2", "removed"],
    ]);
    expect(event?.action).toContain("the published-range rule no longer covers 3.8.1.20");
    expect(event?.action).toContain(
      "allowlists/service-availability.txt, which lists it explicitly",
    );
  });

  it("keeps one event id for the same snapshot pair, whichever run judges it", () => {
    // Prepare
    const feedsAfter = feeds([euWest2Withdrawn()], matchers(WITHOUT_EU_WEST_2));
    const first = driftInput(steadyState(), { feeds: feedsAfter, runId: "run-a" });
    const second = driftInput(steadyState(), { feeds: feedsAfter, runId: "run-b" });
    const outside = (input: typeof first) =>
      evaluateDrift(input)
        .filter((e) => e.type === "ip-outside-published-ranges")
        .map((e) => e.eventId);

    // Act
    const ids = [outside(first), outside(second)];

    // Assess
    expect(ids[0]).toHaveLength(1);
    expect(ids[1]).toEqual(ids[0]);
  });

  it("raises nothing on a later run without a feed change, the condition standing", () => {
    // Prepare: the feed is unchanged (no diff); 3.8.1.20 is still outside every range
    const input = driftInput(steadyState(), {
      feeds: feeds(
        [{ feed: "aws-ip-ranges", status: "unchanged", current: AWS_META }],
        matchers(WITHOUT_EU_WEST_2),
      ),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.filter((e) => e.type === "ip-outside-published-ranges")).toEqual([]);
  });

  it("raises nothing when another published range still contains the IP", () => {
    // Prepare: only the EC2 entry of 3.8.0.0/14 goes; AMAZON still publishes it
    const withdrawn = [prefix("3.8.0.0/14", "EC2", "eu-west-2")];
    const after = AWS_RANGES.filter((p) => !(p.prefix === "3.8.0.0/14" && p.service === "EC2"));
    const input = driftInput(steadyState(), {
      feeds: feeds(
        [updatedFeed("aws-ip-ranges", { added: [], removed: withdrawn })],
        matchers(after),
      ),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.filter((e) => e.type === "ip-outside-published-ranges")).toEqual([]);
  });

  it("judges an IPv6 answer of a cloudfront endpoint by ip-ranges.json's CLOUDFRONT ranges", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10", "2600:9000:2000::1"] }),
    );
    const withdrawn = [prefix("2600:9000::/28", "CLOUDFRONT", "GLOBAL")];
    const after = AWS_RANGES.filter((p) => p.prefix !== "2600:9000::/28");
    const input = driftInput(observations, {
      feeds: feeds(
        [updatedFeed("aws-ip-ranges", { added: [], removed: withdrawn })],
        matchers(after),
      ),
    });

    // Act
    const events = evaluateDrift(input).filter((e) => e.type === "ip-outside-published-ranges");

    // Assess
    expect(events.map((e) => [e.subject.key, e.added])).toEqual([
      ["endpoint:product-and-os-updates/products.clearswift.net", ["2600:9000:2000::1"]],
    ]);
  });

  it("reports an IP that enters outside the ranges in the same run once, keyed by the run", () => {
    // Prepare
    const observations = steadyState(observation(HOSTS.aws, { active: [], entered: ["3.8.1.20"] }));
    const input = driftInput(observations, {
      feeds: feeds([euWest2Withdrawn()], matchers(WITHOUT_EU_WEST_2)),
    });

    // Act
    const events = evaluateDrift(input).filter((e) => e.type === "ip-outside-published-ranges");

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.reason).toContain("outside every range");
    expect(events[0]?.action).toContain("Check the DNS answer");
  });

  it("says a new IP outside every range is in neither the range rule nor the allowlist file", () => {
    // Prepare: the feed is unchanged; services1 newly resolves to an address no range contains
    const observations = steadyState(
      observation(HOSTS.aws, { active: ["3.8.1.20"], entered: ["198.51.100.77"] }),
    );
    const input = driftInput(observations, {
      feeds: feeds([{ feed: "aws-ip-ranges", status: "unchanged", current: AWS_META }], matchers()),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    const covers =
      "explicitly if genuine: neither the published-range rule nor " +
      "allowlists/service-availability.txt covers it";
    const byType = (type: string) => events.find((e) => e.type === type);
    expect(byType("ip-outside-published-ranges")?.added).toEqual(["198.51.100.77"]);
    expect(byType("ip-outside-published-ranges")?.action).toContain(covers);
    expect(byType("ip-added")?.action).toContain(covers);
    expect(events.map((e) => e.action).join(" ")).not.toContain("point the rule at");
  });
});

describe("an aws-ip-ranges endpoint whose IPs leave or enter a region", () => {
  it("reports ip-removed, low, naming the region's prefixes that leave the group's allowlist", () => {
    // Prepare: services1 served from eu-west-2 and us-east-1; the us-east-1 IP leaves
    const input = driftInput(
      steadyState(observation(HOSTS.aws, { active: ["3.8.1.20"], left: ["52.94.0.10"] })),
      { feeds: feeds([], matchers()) },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.subject.key, e.removed])).toEqual([
      ["ip-removed", "low", serviceAvailability, ["52.94.0.10"]],
    ]);
    const [event] = events;
    expect(event?.evidence.prefixes?.map((p) => [p.prefix, p.service, p.region])).toEqual([
      ["52.94.0.0/22", "AMAZON", "us-east-1"],
      ["52.95.0.0/16", "AMAZON", "us-east-1"],
    ]);
    expect(event?.action).toContain(
      "allowlists/service-availability.txt no longer lists the 2 prefixes of AMAZON in us-east-1 (52.94.0.0/22 and 52.95.0.0/16)",
    );
  });

  it("says nothing when the IP that leaves takes no region out of the list", () => {
    // Prepare: 18.130.4.4 and 3.8.1.20 are both EC2 eu-west-2
    const input = driftInput(
      steadyState(observation(HOSTS.aws, { active: ["3.8.1.20"], left: ["18.130.4.4"] })),
      { feeds: feeds([], matchers()) },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("says nothing when another endpoint of the group still lists the region's prefixes", () => {
    // Prepare: a second aws-ip-ranges host in the same group, served from us-east-1
    const services2 = {
      ...catalogue.endpoints.find((e) => e.hostname === HOSTS.aws),
      id: "service-availability-list/services2.clearswift.net",
      hostname: "services2.clearswift.net",
    } as (typeof catalogue.endpoints)[number];
    const input = driftInput(
      [
        ...steadyState(observation(HOSTS.aws, { active: ["3.8.1.20"], left: ["52.94.0.10"] })),
        observation("services2.clearswift.net", { active: ["52.95.1.1"] }),
      ],
      {
        catalogue: { ...catalogue, endpoints: [...catalogue.endpoints, services2] },
        feeds: feeds([], matchers()),
      },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports ip-added, medium, naming the prefixes a newly entered region brings in", () => {
    // Prepare: services1, served from eu-west-2, now also resolves to a us-east-1 address
    const input = driftInput(
      steadyState(observation(HOSTS.aws, { active: ["3.8.1.20"], entered: ["52.94.0.10"] })),
      { feeds: feeds([], matchers()) },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
      ["ip-added", "medium", ["52.94.0.10"]],
    ]);
    expect(events[0]?.reason).toContain("published in AMAZON in us-east-1");
    expect(events[0]?.evidence.prefixes?.map((p) => [p.prefix, p.change])).toEqual([
      ["52.94.0.0/22", "added"],
      ["52.95.0.0/16", "added"],
    ]);
    expect(events[0]?.action).toContain(
      "Add the 2 prefixes of AMAZON in us-east-1 (52.94.0.0/22 and 52.95.0.0/16)",
    );
  });

  it("puts in ip-added only the entering IPs whose region enters the list", () => {
    // Prepare: 18.130.4.4 enters in eu-west-2, already listed; 52.94.0.10 brings us-east-1
    const input = driftInput(
      steadyState(
        observation(HOSTS.aws, { active: ["3.8.1.20"], entered: ["18.130.4.4", "52.94.0.10"] }),
      ),
      { feeds: feeds([], matchers()) },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.added])).toEqual([
      ["ip-added", "medium", ["52.94.0.10"]],
    ]);
    expect(events[0]?.evidence.prefixes?.map((p) => p.prefix)).toEqual([
      "52.94.0.0/22",
      "52.95.0.0/16",
    ]);
  });

  it("says nothing on a first sighting: the list's baseline", () => {
    // Prepare
    const input = driftInput(
      steadyState(observation(HOSTS.aws, { entered: ["3.8.1.20", "52.94.0.10"] })),
      { feeds: feeds([], matchers()) },
    );

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });
});
