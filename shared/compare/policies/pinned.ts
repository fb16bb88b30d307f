import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { list } from "../wording";
import { documentedOnlyAction, severityOfAdded } from "./added-rules";
import type { Policy } from "./policy";

/** `pinned`: the documented IPs are the truth; anything else is drift. */
export const pinned: Policy = {
  ...LISTING_POLICIES.pinned,
  name: "pinned",
  classifyEntering: () => "uncovered",
  classifyLeaving: () => "removed",
  followsPublishedRegions: false,
  addedSeverity: severityOfAdded,
  removedSeverity: "low",
  addedReason: ({ hostname, added }) =>
    `${hostname} now resolves to ${list(added)}, not documented for it ` +
    "(policy pinned: the documented IPs are the truth).",
  addedAction: documentedOnlyAction,
};
