import { describe, expect, it } from "vitest";
import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { ExpectationPolicy } from "#shared/catalogue/schema";
import type { AddedFacts, PolicySubject } from "#shared/compare/policies/policy";
import { POLICY_TABLE } from "#shared/compare/policies/policy-table";
import { CLOUDFRONT_META, CLOUDFRONT_PREFIXES, matcher } from "#test/helpers/verdict-fixtures";

const CLOUDFRONT = new Map([
  ["cloudfront", matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES)],
] as const);

function subject(fields: Partial<PolicySubject> = {}): PolicySubject {
  return {
    endpoint: { feed: "cloudfront" },
    matchers: CLOUDFRONT,
    firstSighting: false,
    ...fields,
  };
}

function facts(fields: Partial<AddedFacts> = {}): AddedFacts {
  return {
    endpoint: {},
    hostname: "ra.swisssign.net",
    added: ["198.51.100.7"],
    outside: [],
    unjudged: [],
    widening: { ips: [], prefixes: [] },
    feedName: "AWS ip-ranges.json",
    rule: "firewall rule swisssign-mpki (tcp/443 out)",
    file: "allowlists/swisssign-mpki.txt",
    hold: undefined,
    ...fields,
  };
}

describe("POLICY_TABLE: the verdict rules of each expectation policy", () => {
  it("has one policy per expectation policy, under its own name, listing as the allowlists do", () => {
    // Act
    const table = ExpectationPolicy.options.map((name) => {
      const policy = POLICY_TABLE[name];
      const listing = LISTING_POLICIES[name];
      return {
        name: policy.name,
        sameListing:
          policy.addresses === listing.addresses &&
          policy.hasAddresses === listing.hasAddresses &&
          policy.publishedRanges === listing.publishedRanges,
      };
    });

    // Assess
    expect(table).toEqual(ExpectationPolicy.options.map((name) => ({ name, sameListing: true })));
  });

  it("judges an undocumented entering IP as uncovered for documented-IP policies", () => {
    // Act
    const judged = [POLICY_TABLE.pinned, POLICY_TABLE.pool].map((p) =>
      p.classifyEntering("198.51.100.7", subject({ firstSighting: true })),
    );

    // Assess
    expect(judged).toEqual(["uncovered", "uncovered"]);
  });

  it("takes the first sighting of an observed-set name as its baseline, later ones as uncovered", () => {
    // Act
    const judged = [POLICY_TABLE.rotating, POLICY_TABLE["hostname-only"]].map((p) => [
      p.classifyEntering("198.51.100.7", subject({ firstSighting: true })),
      p.classifyEntering("198.51.100.7", subject()),
    ]);

    // Assess
    expect(judged).toEqual([
      ["expected", "uncovered"],
      ["expected", "uncovered"],
    ]);
  });

  it("judges a cloudfront IP by the published ranges, and not at all without a snapshot", () => {
    // Prepare
    const policy = POLICY_TABLE.cloudfront;

    // Act
    const entering = [
      policy.classifyEntering("13.32.1.1", subject()),
      policy.classifyEntering("198.51.100.7", subject()),
      policy.classifyEntering("13.32.1.1", subject({ matchers: new Map() })),
    ];
    const leaving = [
      policy.classifyLeaving("13.32.1.1", subject()),
      policy.classifyLeaving("198.51.100.7", subject()),
      policy.classifyLeaving("13.32.1.1", subject({ matchers: new Map() })),
    ];

    // Assess
    expect(entering).toEqual(["inside", "outside", "unjudged"]);
    expect(leaving).toEqual(["covered", "removed", "unknown"]);
  });

  it("follows the published regions of its IPs only for aws-ip-ranges", () => {
    // Act
    const following = ExpectationPolicy.options.filter(
      (name) => POLICY_TABLE[name].followsPublishedRegions,
    );

    // Assess
    expect(following).toEqual(["aws-ip-ranges"]);
  });

  it("rates a new rotating address medium and a new undocumented pinned one high", () => {
    // Prepare
    const entering = {
      retired: [],
      uncovered: ["198.51.100.7"],
      outside: [],
      unjudged: [],
      inside: [],
    };

    // Act
    const severities = {
      pinned: POLICY_TABLE.pinned.addedSeverity(entering),
      rotating: POLICY_TABLE.rotating.addedSeverity(entering),
      hostnameOnlyRemoved: POLICY_TABLE["hostname-only"].removedSeverity,
      poolRemoved: POLICY_TABLE.pool.removedSeverity,
    };

    // Assess
    expect(severities).toEqual({
      pinned: "high",
      rotating: "medium",
      hostnameOnlyRemoved: "medium",
      poolRemoved: "low",
    });
  });

  it("says a held file may not list a new observed-set address", () => {
    // Act
    const action = POLICY_TABLE["hostname-only"].addedAction(
      facts({ hold: { feeds: ["cloudfront"], keptAsWritten: true } }),
    );

    // Assess
    expect(action).toBe(
      "Allow 198.51.100.7 in firewall rule swisssign-mpki (tcp/443 out) for ra.swisssign.net " +
        "explicitly meanwhile: allowlists/swisssign-mpki.txt is kept as last written while the " +
        "CloudFront snapshot cannot be read, so it may not list it.",
    );
  });

  it("tells a pinned endpoint's owner that the file lists documented IPs only, held or not", () => {
    // Act
    const action = POLICY_TABLE.pinned.addedAction(
      facts({ hold: { feeds: ["cloudfront"], keptAsWritten: true } }),
    );

    // Assess
    expect(action).toContain("allowlists/swisssign-mpki.txt lists documented IPs only.");
  });
});
