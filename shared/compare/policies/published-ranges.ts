import { publishedRangesOf } from "#shared/allowlists/feed-relevance";
import { sortAddresses } from "#shared/domain/addresses";
import { count, describePrefixes, list, them } from "../wording";
import { allowAdded, heldAddedAction, severityOfAdded } from "./added-rules";
import type { AddedFacts, Policy } from "./policy";

/**
 * The verdict rules of the two policies judged against a feed's published ranges, `cloudfront`
 * and `aws-ip-ranges`: an IP is judged by the ranges that contain it (`publishedRangesOf`), and
 * without a snapshot it is not judged at all.
 */
export const publishedRangeRules: Pick<
  Policy,
  | "classifyEntering"
  | "classifyLeaving"
  | "addedSeverity"
  | "removedSeverity"
  | "addedReason"
  | "addedAction"
> = {
  classifyEntering: (ip, { endpoint, matchers }) => {
    const ranges = publishedRangesOf(endpoint, ip, matchers);
    if (ranges === undefined) return "unjudged";
    return ranges.length === 0 ? "outside" : "inside";
  },
  // Inside a published range, the range rule covers it either way, unless the endpoint's
  // relevance shrinks with it. Without a snapshot (none yet, or unreadable) coverage is unknown.
  classifyLeaving: (ip, { endpoint, matchers }) => {
    const ranges = publishedRangesOf(endpoint, ip, matchers);
    if (ranges === undefined) return "unknown";
    return ranges.length > 0 ? "covered" : "removed";
  },
  addedSeverity: severityOfAdded,
  removedSeverity: "low",
  addedReason: publishedRangesReason,
  addedAction: (facts) => heldAddedAction(facts) ?? publishedRangesAction(facts),
};

function publishedRangesReason({
  hostname,
  added,
  outside,
  unjudged,
  feedName,
  widening,
}: AddedFacts): string {
  const what = `${hostname} now resolves to ${list(added)}`;
  if (unjudged.length > 0) {
    return `${what}; no ${feedName} snapshot is available to check it against the published ranges.`;
  }
  const parts = [
    outside.length > 0 ? `outside the ${feedName} ranges (${list(outside)})` : null,
    widening.ips.length > 0
      ? `${list(widening.ips)} published in ${describePrefixes(widening.prefixes)}, where ` +
        "none of its IPs was before"
      : null,
  ];
  return `${what}, ${parts.filter((part) => part !== null).join("; ")}.`;
}

function publishedRangesAction(facts: AddedFacts): string {
  const { hostname, outside, unjudged, rule, file, widening } = facts;
  if (outside.length === 0 && widening.ips.length === 0) {
    return `${allowAdded(facts)}; ${file} lists it until a feed snapshot is available to judge it.`;
  }
  const sentences: string[] = [];
  if (outside.length > 0) {
    sentences.push(
      `Allow ${list(outside)} in ${rule} for ${hostname} explicitly if genuine: ` +
        `neither the published-range rule nor ${file} covers ${them(outside)}.`,
    );
  }
  if (widening.prefixes.length > 0) {
    const prefixes = sortAddresses([...new Set(widening.prefixes.map((p) => p.prefix))]);
    sentences.push(
      `Add the ${count(prefixes, "prefix", "prefixes")} of ${describePrefixes(widening.prefixes)} ` +
        `(${list(prefixes)}) to ${rule} for ${hostname}, or point the rule at ${file}, ` +
        "which already lists them.",
    );
  }
  if (unjudged.length > 0) {
    sentences.push(
      `Allow ${list(unjudged)} in ${rule}; ${file} lists ${them(unjudged)} until a feed snapshot is available to judge ${them(unjudged)}.`,
    );
  }
  return sentences.join(" ");
}
