import { sortAddresses } from "#shared/domain/addresses";
import type { HostObservation } from "#shared/domain/observation";
import type { DriftEvent } from "../drift-event";
import { count, describePrefixes, list, them, verb } from "../wording";
import type { EndpointCase } from "./endpoint-case";
import { changedPrefix } from "./evidence";

/**
 * IPs that left the observed set (absent for the whole grace period) in this run and whose
 * allow rule may go: those the policy says no range covers, and those a range covered when
 * their region leaves the file with them. Documented IPs are left to documented-ip-unused.
 */
export function ipRemoved(c: EndpointCase): DriftEvent[] {
  const removed: string[] = [];
  const covered: string[] = [];
  for (const gone of c.observation.left) {
    if (c.documented.has(gone.ip)) continue;
    const judged = c.policy.classifyLeaving(gone.ip, c.policySubject);
    if (judged === "removed") removed.push(gone.ip);
    else if (judged === "covered") covered.push(gone.ip);
  }
  const shrinking = c.relevanceChange?.leaving ?? [];
  if (shrinking.length > 0) removed.push(...covered);
  if (removed.length === 0) return [];
  const sorted = sortAddresses(removed);
  const prefixes = sortAddresses([...new Set(shrinking.map((p) => p.prefix))]);
  return [
    c.emit({
      type: "ip-removed",
      severity: c.policy.removedSeverity,
      removed: sorted,
      evidence: {
        ...c.runEvidence(sorted, shrinking.length > 0),
        ...(shrinking.length === 0
          ? {}
          : {
              feed: c.feedEvidence(),
              prefixes: shrinking.map((p) => changedPrefix(p, "removed")),
            }),
      },
      reason:
        `${list(sorted)} no longer ${verb(sorted, "serves", "serve")} ${c.hostname}: absent from ` +
        `every successful answer for the grace period${graceText(c.observation)}` +
        (shrinking.length === 0
          ? "."
          : `; none of its IPs is published in ${describePrefixes(shrinking)} any more.`),
      action:
        `The allow rule for ${list(sorted)} in ${c.rule} may be retired.` +
        (shrinking.length === 0
          ? ""
          : ` ${c.file} no longer lists the ${count(prefixes, "prefix", "prefixes")} of ` +
            `${describePrefixes(shrinking)} (${list(prefixes)}); retire ${them(prefixes)} ` +
            "in the rule too if it does not read the file."),
      cause: { run: c.run.input.runId },
    }),
  ];
}

function graceText(observation: HostObservation): string {
  const grace = observation.grace;
  return grace === undefined ? "" : ` (${grace.runs} runs and ${grace.hours} h)`;
}
