import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Policy } from "./policy";

/**
 * `wildcard-domain`: a wildcard domain such as `*.apc.avira.com`. It is never resolved (a
 * wildcard has no A records of its own) and lists no IPs (`hasAddresses` is false): a firewall
 * allows it by name. Nothing enters or leaves, so there is nothing to judge.
 */
export const wildcardDomain: Policy = {
  ...LISTING_POLICIES["wildcard-domain"],
  name: "wildcard-domain",
  classifyEntering: () => "expected",
  classifyLeaving: () => "covered",
  followsPublishedRegions: false,
  addedSeverity: () => "low",
  removedSeverity: "low",
  addedReason: ({ hostname }) =>
    `${hostname}: policy wildcard-domain is allowed by name; its addresses are not judged.`,
  addedAction: ({ rule }) => `No change to ${rule}: the wildcard domain is allowed by name.`,
};
