import { describePorts } from "#shared/allowlists/build";
import type { Endpoint, Pool } from "#shared/catalogue/schema";
import { compareText } from "#shared/domain/canonical";
import type { HostObservation } from "#shared/domain/observation";
import type { DriftEvent, DriftSubject, EndpointRef } from "../drift-event";
import { POLICY_TABLE } from "../policies/policy-table";
import { type EventDraft, endpointRef, makeEvent, type RunContext } from "./run-context";

/** A pool's IPs within one firewall group: the hosts of the group that may use them. */
export interface PoolCase {
  run: RunContext;
  pool: Pool;
  group: string;
  /** This run's observations of the group's hosts of the pool (at least one). */
  observations: HostObservation[];
  /** Their hostnames, sorted. */
  hostnames: string[];
  /** `firewall rule <group> (<ports>)` */
  rule: string;
  emit(draft: EventDraft): DriftEvent;
}

/** Per pool and group, the pool's endpoints with addresses and an observation in this run. */
export function poolCases(run: RunContext): PoolCase[] {
  return run.input.catalogue.pools.flatMap((pool) => {
    const byGroup = new Map<string, Endpoint[]>();
    for (const endpoint of run.input.catalogue.endpoints) {
      if (endpoint.pool !== pool.id || endpoint.hostname === null) continue;
      if (!POLICY_TABLE[endpoint.policy].hasAddresses) continue;
      byGroup.set(endpoint.group, [...(byGroup.get(endpoint.group) ?? []), endpoint]);
    }
    return [...byGroup]
      .sort(([a], [b]) => compareText(a, b))
      .flatMap(([group, endpoints]) => poolCase(run, pool, group, endpoints));
  });
}

function poolCase(run: RunContext, pool: Pool, group: string, endpoints: Endpoint[]): PoolCase[] {
  const observations = [
    ...new Set(endpoints.map((e) => run.observations.get(e.hostname ?? ""))),
  ].filter((o) => o !== undefined);
  if (observations.length === 0) return [];
  const subject: DriftSubject = {
    kind: "pool",
    key: `pool:${pool.id}:${group}`,
    poolId: pool.id,
    group,
  };
  const refs: EndpointRef[] = endpoints.map(endpointRef).sort((a, b) => compareText(a.id, b.id));
  return [
    {
      run,
      pool,
      group,
      observations,
      hostnames: [...new Set(observations.map((o) => o.hostname))].sort(),
      rule: `firewall rule ${group} (${describePorts(endpoints.flatMap((e) => e.ports))})`,
      emit: (draft) => makeEvent(run, subject, group, refs, draft),
    },
  ];
}
