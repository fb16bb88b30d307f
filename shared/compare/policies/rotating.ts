import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { list } from "../wording";
import { observedSetAction } from "./added-rules";
import type { Policy } from "./policy";

/**
 * `rotating`: no fixed IPs by design; the observed set is the allowlist (with a long grace
 * period), so a new address is worth a look, not an alarm. Its first sighting is the baseline.
 */
export const rotating: Policy = {
  ...LISTING_POLICIES.rotating,
  name: "rotating",
  classifyEntering: (_ip, { firstSighting }) => (firstSighting ? "expected" : "uncovered"),
  classifyLeaving: () => "removed",
  followsPublishedRegions: false,
  addedSeverity: () => "medium",
  removedSeverity: "low",
  addedReason: ({ hostname, added }) =>
    `${hostname} now resolves to ${list(added)}: a new address in its rotation ` +
    "(policy rotating: the observed set is the allowlist).",
  addedAction: observedSetAction,
};
