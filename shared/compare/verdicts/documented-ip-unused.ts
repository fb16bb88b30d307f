import type { HostObservation } from "#shared/domain/observation";
import type { DriftEvent } from "../drift-event";
import type { EndpointCase } from "./endpoint-case";
import type { PoolCase } from "./pool-case";
import type { RunContext } from "./run-context";
import { earliest, latest } from "./times";

const HOUR_MS = 3_600_000;

/** The endpoint's own documented IPs (not its pool's) that no answer has used for the grace period. */
export function documentedIpUnused(c: EndpointCase): DriftEvent[] {
  const poolIps = new Set(c.pool?.ips ?? []);
  return c.endpoint.ips.flatMap((ip) => {
    if (poolIps.has(ip)) return []; // judged per pool
    const unused = unusedSince(c.run, ip, [c.observation]);
    if (unused === null) return [];
    return [
      c.emit({
        type: "documented-ip-unused",
        severity: "low",
        evidence: {
          observedAt: c.observation.observedAt,
          unusedSince: unused.since,
          ips: [c.ipEvidence(ip)],
        },
        reason: unusedReason(ip, [c.hostname], unused),
        action:
          `Keep the allow rule for ${ip} in ${c.rule} until the vendor confirms it is retired; ` +
          "the vendor document may be stale.",
        cause: { ip, lastSeen: unused.lastSeen ?? "never" },
      }),
    ];
  });
}

/** A pool's IPs that no answer of the group's hosts of the pool has used for the grace period. */
export function poolIpUnused(p: PoolCase): DriftEvent[] {
  return p.pool.ips.flatMap((ip) => {
    const unused = unusedSince(p.run, ip, p.observations);
    if (unused === null) return [];
    return [
      p.emit({
        type: "documented-ip-unused",
        severity: "low",
        evidence: {
          observedAt: latest(p.observations.map((o) => o.observedAt)) ?? p.run.detectedAt,
          unusedSince: unused.since,
          ips: [{ ip, ...(unused.lastSeen === null ? {} : { lastSeen: unused.lastSeen }) }],
        },
        reason: unusedReason(ip, p.hostnames, unused, p.pool.id),
        action:
          `Keep the allow rule for ${ip} in ${p.rule} until the vendor confirms it is ` +
          "retired; the vendor document may be stale.",
        cause: { ip, lastSeen: unused.lastSeen ?? "never" },
      }),
    ];
  });
}

interface Unused {
  since: string;
  lastSeen: string | null;
}

/**
 * A documented IP is unused when no current answer of the hostnames carries it and none has for
 * the grace period (since its last sighting, or since the hostnames were first tracked). Only
 * judged when at least one hostname answered in this run: a failing name proves nothing.
 */
function unusedSince(
  run: RunContext,
  ip: string,
  observations: readonly HostObservation[],
): Unused | null {
  if (!observations.some((o) => o.outcome === "answered")) return null;
  if (observations.some((o) => o.active.some((a) => a.ip === ip))) return null;
  let lastSeen: string | null = null;
  for (const observation of observations) {
    for (const gone of [...observation.left, ...observation.departed]) {
      if (gone.ip === ip && (lastSeen === null || gone.lastSeen > lastSeen))
        lastSeen = gone.lastSeen;
    }
  }
  const since = lastSeen ?? earliest(observations.map((o) => o.trackedSince));
  const graceMs = run.input.options.unusedGrace.hours * HOUR_MS;
  if (run.input.now.getTime() - Date.parse(since) < graceMs) return null;
  return { since, lastSeen };
}

function unusedReason(ip: string, hostnames: string[], unused: Unused, pool?: string): string {
  const documentedFor = pool === undefined ? hostnames.join(", ") : `pool ${pool}`;
  const names = hostnames.length === 1 ? hostnames[0] : `any of ${hostnames.join(", ")}`;
  return unused.lastSeen === null
    ? `${ip} is documented for ${documentedFor} but no answer for ${names} has carried it since ` +
        `tracking began (${unused.since}).`
    : `${ip} is documented for ${documentedFor} but no answer for ${names} has carried it since ` +
        `${unused.lastSeen}.`;
}
