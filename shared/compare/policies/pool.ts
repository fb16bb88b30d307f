import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import { list } from "../wording";
import { documentedOnlyAction, severityOfAdded } from "./added-rules";
import type { Policy } from "./policy";

/** `pool`: any IP of the endpoint's pool (IPs documented for a set of hosts) is fine. */
export const pool: Policy = {
  ...LISTING_POLICIES.pool,
  name: "pool",
  classifyEntering: () => "uncovered",
  classifyLeaving: () => "removed",
  followsPublishedRegions: false,
  addedSeverity: severityOfAdded,
  removedSeverity: "low",
  addedReason: ({ hostname, added, endpoint }) =>
    `${hostname} now resolves to ${list(added)}, in neither its documented IPs nor pool ${endpoint.pool}.`,
  addedAction: documentedOnlyAction,
};
