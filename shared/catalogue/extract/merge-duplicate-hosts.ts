import type { SourceLines } from "#shared/catalogue/extract/draft-facts";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type { Endpoint } from "#shared/catalogue/schema";

/**
 * A hostname the document lists more than once becomes one endpoint: the first, with the ports,
 * addresses and facts of the others added. Where the copies disagree (another group, other
 * addresses under another policy), the merge is a fact flagged for review; a copy with addresses
 * or a feed lends them to a first listing that had none.
 */
export function mergeDuplicateHosts(endpoints: Endpoint[], lines: SourceLines): Endpoint[] {
  const first = new Map<string, Endpoint>();
  const merged: Endpoint[] = [];
  for (const endpoint of endpoints) {
    const host = endpoint.hostname;
    const kept = host === null ? undefined : first.get(host);
    if (host === null || kept === undefined) {
      if (host !== null) first.set(host, endpoint);
      merged.push(endpoint);
      continue;
    }
    mergeInto(kept, endpoint, lines);
  }
  return merged;
}

function mergeInto(kept: Endpoint, copy: Endpoint, lines: SourceLines): void {
  const line = copy.facts?.find((f) => f.fact === "hostname")?.line ?? 1;
  const problems: string[] = [];
  if (copy.group !== kept.group) {
    problems.push(`also listed in "${copy.provenance.section}" (group ${copy.group})`);
  }
  if (kept.policy === "hostname-only" && copy.policy !== "hostname-only") {
    adoptAddresses(kept, copy);
  } else if (copy.policy !== kept.policy && copy.policy !== "hostname-only") {
    problems.push(`listed again as ${copy.policy}, kept as ${kept.policy}`);
  } else if (kept.policy === "pinned" && copy.policy === "pinned") {
    kept.ips = unique([...kept.ips, ...copy.ips]);
  }
  const ranges = unique([...(kept.ranges ?? []), ...(copy.ranges ?? [])]);
  if (ranges.length > 0) kept.ranges = ranges;
  kept.ports = uniquePorts([...kept.ports, ...copy.ports]);
  const assumed =
    problems.length > 0
      ? `${problems.join("; ")}: merged into one endpoint in group ${kept.group}`
      : undefined;
  const facts = (copy.facts ?? []).filter((f) => f.fact !== "hostname" && f.fact !== "policy");
  kept.facts = [
    ...(kept.facts ?? []),
    lines.fact("hostname", `${kept.hostname} (listed again)`, line, "high", assumed),
    ...facts,
  ];
}

function adoptAddresses(kept: Endpoint, copy: Endpoint): void {
  kept.policy = copy.policy;
  kept.ips = copy.ips;
  if (copy.pool !== undefined) kept.pool = copy.pool;
  if (copy.feed !== undefined) kept.feed = copy.feed;
  kept.facts = (kept.facts ?? []).filter((f) => f.fact !== "policy");
  kept.facts.push(...(copy.facts ?? []).filter((f) => f.fact === "policy"));
}
