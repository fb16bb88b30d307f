import { sortAddresses } from "#shared/domain/addresses";
import { compareText } from "#shared/domain/canonical";
import type { DriftEvent } from "../drift-event";
import { list } from "../wording";
import type { EndpointCase } from "./endpoint-case";

/** Private or reserved answers (they never enter the observed set): high. */
export function suspiciousAnswer(c: EndpointCase): DriftEvent[] {
  const { observation } = c;
  if (observation.suspicious.length === 0) return [];
  const suspicious = [...observation.suspicious].sort(
    (a, b) => compareText(a.ip, b.ip) || compareText(a.resolver, b.resolver),
  );
  const ips = sortAddresses(suspicious.map((s) => s.ip));
  const resolvers = [...new Set(suspicious.map((s) => s.resolver))].sort();
  return [
    c.emit({
      type: "suspicious-answer",
      severity: "high",
      evidence: {
        observedAt: observation.observedAt,
        outcome: observation.outcome,
        suspicious,
        answers: c.answers,
      },
      reason:
        `${resolvers.join(", ")} answered ${c.hostname} with ${list(ips)} ` +
        `(${[...new Set(suspicious.map((s) => s.range))].sort().join(", ")}), an address a ` +
        "public vendor hostname cannot have: a DNS hijack, a sinkhole or a split-horizon leak.",
      action:
        `Do not allow ${list(ips)}; check the resolver${resolvers.length === 1 ? "" : "s"} ` +
        `${resolvers.join(", ")}. No change to ${c.rule}.`,
      // At most one notification per day and set of answers while it persists. Which
      // resolver gave it is evidence, not identity: a resolver's address may change.
      cause: {
        day: observation.observedAt.slice(0, 10),
        answers: [...new Set(suspicious.map((s) => `${s.ip}|${s.range}`))],
      },
    }),
  ];
}
