import type { IpDocumentation, IpUse } from "#shared/query/ip-use";
import { plural } from "./plural";

/** `driftwatch ip` for people: the hostnames that used the IP, then what else the catalogue says. */
export function formatIpUse(answer: IpUse, where: string): string {
  const lines: string[] = [];
  if (answer.hosts.length === 0) {
    lines.push(`${answer.ip}: no hostname has resolved to it in ${where}`);
  } else {
    lines.push(`${answer.ip}: used by ${plural(answer.hosts.length, "hostname")}`, "");
    const width = Math.max(...answer.hosts.map((h) => h.hostname.length));
    for (const host of answer.hosts) {
      const state = host.current
        ? "still observed"
        : host.leftAt !== null
          ? `left the observed set ${host.leftAt}`
          : "no longer observed";
      lines.push(`${host.hostname.padEnd(width)}  first seen ${host.firstSeen}  ${state}`);
      if (host.catalogue.length === 0) lines.push(`${" ".repeat(width)}  not in the catalogue`);
      for (const doc of host.catalogue)
        lines.push(`${" ".repeat(width)}  ${describeDocumentation(doc)}`);
    }
  }
  lines.push(...formatUnobserved(answer));
  return `${lines.join("\n")}\n`;
}

/** The endpoints the catalogue names the IP for that never resolved to it; a pool on one line. */
function formatUnobserved(answer: IpUse): string[] {
  const unobserved = answer.documentedFor.filter(
    (doc) => !answer.hosts.some((h) => h.catalogue.some((c) => c.endpointId === doc.endpointId)),
  );
  if (unobserved.length === 0) return [];
  const lines = ["", "the catalogue also names it for endpoints that never resolved to it:"];
  const pools = new Map<string, IpDocumentation[]>();
  for (const doc of unobserved) {
    if (doc.status !== "pool") {
      lines.push(`  ${describeDocumentation(doc)}`);
      continue;
    }
    const key = `${doc.poolId} (group ${doc.group})`;
    pools.set(key, [...(pools.get(key) ?? []), doc]);
  }
  for (const [pool, docs] of pools) {
    const names = docs.map((d) => d.hostname ?? d.endpointId);
    lines.push(`  pool ${pool}: ${names.join(", ")}`);
  }
  return lines;
}

function describeDocumentation(doc: IpDocumentation): string {
  const endpoint = `endpoint ${doc.endpointId} (group ${doc.group}, policy ${doc.policy})`;
  switch (doc.status) {
    case "documented":
      return `documented for ${endpoint}`;
    case "pool":
      return `documented in pool ${doc.poolId} for ${endpoint}`;
    case "retired":
      return `retired on ${doc.retiredOn}${doc.poolId ? ` from pool ${doc.poolId}` : ""} for ${endpoint}${doc.note ? `: ${doc.note}` : ""}`;
    case "published-ranges":
      return `not documented: ${endpoint} is judged against the published ${doc.policy} ranges`;
    case "undocumented":
      return `not documented for ${endpoint}`;
  }
}
