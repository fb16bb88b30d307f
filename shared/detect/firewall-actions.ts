import { describePorts, sortPorts } from "#shared/allowlists/build";
import type { PortSpec } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import { compareAddresses } from "#shared/domain/addresses";

/** One row of the run report's actions: what a firewall owner adds and removes in one rule. */
export interface FirewallAction {
  group: string;
  ports: string;
  protocol: string;
  add: string[];
  remove: string[];
  /** The catalogue hostnames whose events make up the row. */
  hostnames: string[];
  /** The event types behind the row. */
  because: string[];
}

/** Rows of what to add and remove, one per firewall rule (group + ports + protocol). */
export function firewallActions(events: readonly DriftEvent[]): FirewallAction[] {
  interface Row {
    group: string;
    ports: string;
    protocol: string;
    add: Set<string>;
    remove: Set<string>;
    hostnames: Set<string>;
    because: Set<string>;
  }
  const rows = new Map<string, Row>();
  for (const event of events) {
    if (event.severity !== "high" || (event.added.length === 0 && event.removed.length === 0)) {
      continue;
    }
    const ports = sortPorts(event.endpoints.flatMap((e) => e.ports));
    const group = event.group ?? "(no group)";
    const key = `${group}|${describePorts(ports)}`;
    const row: Row = rows.get(key) ?? {
      group,
      ports: portList(ports),
      protocol: [...new Set(ports.map((p) => p.protocol))].join("/") || "-",
      add: new Set(),
      remove: new Set(),
      hostnames: new Set(),
      because: new Set(),
    };
    rows.set(key, row);
    for (const ip of event.added) row.add.add(ip);
    for (const ip of event.removed) row.remove.add(ip);
    for (const { hostname } of event.endpoints) if (hostname !== null) row.hostnames.add(hostname);
    row.because.add(event.type);
  }
  return [...rows.values()]
    .map((row) => ({
      group: row.group,
      ports: row.ports,
      protocol: row.protocol,
      add: [...row.add].sort(compareAddresses),
      remove: [...row.remove].filter((ip) => !row.add.has(ip)).sort(compareAddresses),
      hostnames: [...row.hostnames].sort(),
      because: [...row.because].sort(),
    }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.ports.localeCompare(b.ports));
}

function portList(ports: readonly PortSpec[]): string {
  return [...new Set(ports.map((p) => p.port))].join(",") || "-";
}
