import type { DriftEvent } from "../drift-event";
import type { AddedFacts } from "../policies/policy";
import type { EndpointCase } from "./endpoint-case";
import { changedPrefix } from "./evidence";

/**
 * IPs entering the observed set that the rule does not cover yet: undocumented ones, those
 * outside the published ranges or with no snapshot to judge them, and those that bring a new
 * region's prefixes into the file. Severity, reason and action are the policy's.
 */
export function ipAdded(c: EndpointCase): DriftEvent[] {
  const { uncovered, outside, unjudged } = c.entering;
  const added = [...uncovered, ...outside, ...unjudged, ...c.widening.ips];
  if (added.length === 0) return [];
  const facts: AddedFacts = {
    endpoint: c.endpoint,
    hostname: c.hostname,
    added,
    outside,
    unjudged,
    widening: c.widening,
    feedName: c.feedName,
    rule: c.rule,
    file: c.file,
    hold: c.run.held.get(c.endpoint.group),
  };
  const prefixes = c.widening.prefixes;
  return [
    c.emit({
      type: "ip-added",
      severity: c.policy.addedSeverity(c.entering),
      added,
      evidence: {
        ...c.runEvidence(added, c.matcher !== undefined),
        ...(c.endpoint.feed === undefined ? {} : { feed: c.feedEvidence() }),
        ...(prefixes.length === 0
          ? {}
          : { prefixes: prefixes.map((p) => changedPrefix(p, "added")) }),
      },
      reason: c.policy.addedReason(facts),
      action: c.policy.addedAction(facts),
      warnings: c.growthWarnings(),
      cause: { run: c.run.input.runId },
    }),
  ];
}
