import type { DriftEvent } from "../drift-event";
import { list, verb } from "../wording";
import type { EndpointCase } from "./endpoint-case";

/** A retired IP (the endpoint's or its pool's) entering the observed set again: high. */
export function retiredIpSeen(c: EndpointCase): DriftEvent[] {
  const ips = c.entering.retired;
  if (ips.length === 0) return [];
  const entries = ips.map((ip) => c.retired.get(ip)).filter((e) => e !== undefined);
  return [
    c.emit({
      type: "retired-ip-seen",
      severity: "high",
      added: ips,
      evidence: { ...c.runEvidence(ips), retired: entries },
      reason:
        `${list(ips)} ${verb(ips, "serves", "serve")} ${c.hostname} again although ` +
        `the vendor retired ${ips.length === 1 ? "it" : "them"} ` +
        `(${entries.map((e) => `${e.ip} on ${e.retiredOn}`).join(", ")}).`,
      action:
        `Allow ${list(ips)} in ${c.rule} only after confirming with the vendor that the ` +
        "retired address is in service again; until then treat the answer as suspect.",
      warnings: c.growthWarnings(),
      cause: { run: c.run.input.runId },
    }),
  ];
}
