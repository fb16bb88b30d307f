import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Policy } from "./policy";

/**
 * `internal`: a port-only row towards the customer's own servers. Nothing to resolve, list or
 * judge (`hasAddresses` is false): the addresses are the customer's, not the vendor's.
 */
export const internal: Policy = {
  ...LISTING_POLICIES.internal,
  name: "internal",
  classifyEntering: () => "expected",
  classifyLeaving: () => "covered",
  followsPublishedRegions: false,
  addedSeverity: () => "low",
  removedSeverity: "low",
  addedReason: ({ hostname }) => `${hostname}: policy internal names the customer's own servers.`,
  addedAction: ({ rule }) => `No change to ${rule}: its addresses are the customer's own.`,
};
