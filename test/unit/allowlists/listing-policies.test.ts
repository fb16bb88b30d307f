import { describe, expect, it } from "vitest";
import {
  groupsListingBeyondRanges,
  LISTING_POLICIES,
  type ListingSubject,
} from "#shared/allowlists/listing-policies";
import { ExpectationPolicy } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import {
  AWS_META,
  AWS_PREFIXES,
  CLOUDFRONT_META,
  CLOUDFRONT_PREFIXES,
  catalogue,
  HOSTS,
  matcher,
  observation,
  steadyState,
} from "#test/helpers/verdict-fixtures";

function subject(policy: ExpectationPolicy, fields: Partial<ListingSubject> = {}): ListingSubject {
  const endpoint = catalogue.endpoints.find((e) => e.policy === policy);
  if (endpoint === undefined) throw new Error(`no ${policy} endpoint in the fixture catalogue`);
  return {
    endpoint,
    observation: undefined,
    documented: ["192.0.2.10"],
    observed: ["198.51.100.7"],
    matchers: new Map(),
    withdrawals: new Map(),
    written: undefined,
    ...fields,
  };
}

describe("LISTING_POLICIES: what each expectation policy lists", () => {
  it("has one listing per expectation policy", () => {
    // Prepare
    const policies = ExpectationPolicy.options;

    // Act
    const listed = Object.keys(LISTING_POLICIES).sort();

    // Assess
    expect(listed).toEqual([...policies].sort());
  });

  it("lists the documented IPs of pinned and pool endpoints, never the observed ones", () => {
    // Act
    const pinned = LISTING_POLICIES.pinned.addresses(subject("pinned"));
    const pool = LISTING_POLICIES.pool.addresses(subject("pool"));

    // Assess
    expect(pinned).toEqual(["192.0.2.10"]);
    expect(pool).toEqual(["192.0.2.10"]);
  });

  it("lists the observed set of rotating and hostname-only endpoints", () => {
    // Act
    const rotating = LISTING_POLICIES.rotating.addresses(subject("rotating"));
    const hostnameOnly = LISTING_POLICIES["hostname-only"].addresses(subject("hostname-only"));

    // Assess
    expect(rotating).toEqual(["198.51.100.7"]);
    expect(hostnameOnly).toEqual(["198.51.100.7"]);
  });

  it("lists no addresses for port-only policies and leaves them out", () => {
    // Act
    const portOnly = (["any-destination", "internal"] as const).map((policy) => ({
      hasAddresses: LISTING_POLICIES[policy].hasAddresses,
      addresses: LISTING_POLICIES[policy].addresses(subject(policy)),
    }));

    // Assess
    expect(portOnly).toEqual([
      { hasAddresses: false, addresses: [] },
      { hasAddresses: false, addresses: [] },
    ]);
  });

  it("judges only cloudfront and aws-ip-ranges against published ranges", () => {
    // Act
    const judged = ExpectationPolicy.options.filter((p) => LISTING_POLICIES[p].publishedRanges);

    // Assess
    expect(judged).toEqual(["cloudfront", "aws-ip-ranges"]);
  });

  it("lists the published prefixes of the regions an aws-ip-ranges endpoint's IPs are in", () => {
    // Prepare
    const aws = matcher(AWS_META, AWS_PREFIXES);
    const inRange = "3.8.0.9"; // in 3.8.0.0/14, AMAZON and EC2 eu-west-2
    const listing = subject("aws-ip-ranges", {
      observation: observation("services1.clearswift.net", { active: [inRange] }),
      documented: [],
      observed: [inRange],
      matchers: new Map([["aws-ip-ranges", aws]]),
    });

    // Act
    const addresses = LISTING_POLICIES["aws-ip-ranges"].addresses(listing);

    // Assess
    expect([...new Set(addresses)].sort()).toEqual(["18.130.0.0/16", "3.8.0.0/14"]);
  });

  it("lists the observed IPs of a feed endpoint when no snapshot can judge them", () => {
    // Act
    const addresses = LISTING_POLICIES.cloudfront.addresses(subject("cloudfront"));

    // Assess
    expect(addresses).toEqual(["192.0.2.10", "198.51.100.7"]);
  });
});

describe("groupsListingBeyondRanges", () => {
  const feedMatchers = new Map([
    ["cloudfront" as const, matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES)],
    ["aws-ip-ranges" as const, matcher(AWS_META, AWS_PREFIXES)],
  ]);
  const byHostname = (observations: HostObservation[]) =>
    new Map(observations.map((o) => [o.hostname, o]));

  it("names no group while every feed endpoint's IPs are inside published ranges", () => {
    expect(groupsListingBeyondRanges(catalogue, byHostname(steadyState()), feedMatchers)).toEqual(
      new Set(),
    );
  });

  it("names the group of a feed endpoint that observes an IP outside every range", () => {
    // Prepare: the CloudFront host also answers with an address in no published range
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10", "198.18.7.7"] }),
    );

    // Act
    const groups = groupsListingBeyondRanges(catalogue, byHostname(observations), feedMatchers);

    // Assess
    expect(groups).toEqual(new Set(["product-updates"]));
  });

  it("names no group of a feed without a matcher (its endpoints list the observed set)", () => {
    const observations = steadyState(observation(HOSTS.aws, { active: ["198.18.7.7"] }));
    const withoutAws = new Map([...feedMatchers].filter(([feed]) => feed !== "aws-ip-ranges"));

    expect(groupsListingBeyondRanges(catalogue, byHostname(observations), withoutAws)).toEqual(
      new Set(),
    );
  });
});
