import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import type { Policy } from "./policy";

/**
 * `any-destination`: a port rule to any address (SMTP any/any). Nothing to resolve, list or
 * judge (`hasAddresses` is false): any address is allowed, so nothing enters or leaves.
 */
export const anyDestination: Policy = {
  ...LISTING_POLICIES["any-destination"],
  name: "any-destination",
  classifyEntering: () => "expected",
  classifyLeaving: () => "covered",
  followsPublishedRegions: false,
  addedSeverity: () => "low",
  removedSeverity: "low",
  addedReason: ({ hostname }) => `${hostname}: policy any-destination allows any address.`,
  addedAction: ({ rule }) => `No change to ${rule}: it allows any address.`,
};
