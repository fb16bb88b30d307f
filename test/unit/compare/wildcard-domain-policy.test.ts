import { describe, expect, it } from "vitest";
import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { POLICY_TABLE } from "#shared/compare/policies/policy-table";

describe("the wildcard-domain policy", () => {
  it("lists no IP, is left out of the IP allowlists and judges nothing", () => {
    // Prepare
    const policy = POLICY_TABLE["wildcard-domain"];
    const subject = { endpoint: {}, matchers: new Map(), firstSighting: false };

    // Act
    const listed = LISTING_POLICIES["wildcard-domain"].addresses({
      endpoint: {} as never,
      observation: undefined,
      documented: ["192.0.2.1"],
      observed: ["198.51.100.7"],
      matchers: new Map(),
      withdrawals: new Map(),
      written: undefined,
    });

    // Assess
    expect(listed).toEqual([]);
    expect(policy.hasAddresses).toBe(false);
    expect(policy.publishedRanges).toBe(false);
    expect(policy.classifyEntering("198.51.100.7", subject)).toBe("expected");
    expect(policy.classifyLeaving("198.51.100.7", subject)).toBe("covered");
  });
});
