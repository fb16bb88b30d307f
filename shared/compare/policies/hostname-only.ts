import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { list } from "../wording";
import { observedSetAction, severityOfAdded } from "./added-rules";
import type { Policy } from "./policy";

/**
 * `hostname-only`: a hostname with no documented IPs; the observed set is the allowlist. Its
 * first sighting is the baseline; an address leaving it is worth a look.
 */
export const hostnameOnly: Policy = {
  ...LISTING_POLICIES["hostname-only"],
  name: "hostname-only",
  classifyEntering: (_ip, { firstSighting }) => (firstSighting ? "expected" : "uncovered"),
  classifyLeaving: () => "removed",
  followsPublishedRegions: false,
  addedSeverity: severityOfAdded,
  removedSeverity: "medium",
  addedReason: ({ hostname, added }) =>
    `${hostname} now resolves to ${list(added)}: a new address ` +
    "(policy hostname-only: the observed set is the allowlist).",
  addedAction: observedSetAction,
};
