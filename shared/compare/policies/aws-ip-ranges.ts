import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Policy } from "./policy";
import { publishedRangeRules } from "./published-ranges";

/**
 * `aws-ip-ranges`: the endpoint's IPs must fall inside AWS's ip-ranges.json; its allowlist lists
 * the prefixes of the services and regions where its IPs are published.
 */
export const awsIpRanges: Policy = {
  ...LISTING_POLICIES["aws-ip-ranges"],
  ...publishedRangeRules,
  name: "aws-ip-ranges",
  followsPublishedRegions: true,
};
