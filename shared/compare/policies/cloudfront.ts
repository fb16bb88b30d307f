import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Policy } from "./policy";
import { publishedRangeRules } from "./published-ranges";

/** `cloudfront`: the endpoint's IPs must fall inside CloudFront's published ranges. */
export const cloudfront: Policy = {
  ...LISTING_POLICIES.cloudfront,
  ...publishedRangeRules,
  name: "cloudfront",
  // Its allowlist lists the whole CloudFront list, whatever the endpoint's IPs.
  followsPublishedRegions: false,
};
