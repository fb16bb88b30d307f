import type { GroupAllowlist } from "#shared/allowlists/build";
import type { PortSpec } from "#shared/catalogue/schema";
import { sortAddresses } from "#shared/domain/addresses";
import { canonicalJson, compareText, sha256Hex } from "#shared/domain/canonical";

/**
 * One step of a catalogue's allowlist version: what one group's allowlist content changed from
 * and to. Entries are what a firewall lists: addresses (IPs and CIDR prefixes) and the names
 * allowed by name only.
 */
export interface AllowlistChange {
  catalogueId: string;
  version: number;
  /** sha256 of the group and both content hashes (`allowlistChangeId`). */
  changeId: string;
  group: string;
  /** When the version moved. */
  at: string;
  /** The run that wrote the content (null when a later cycle completed an interrupted one). */
  runId: string | null;
  /** The change events committed with it (the verdicts behind the change). */
  eventIds: string[];
  /** Null for the group's first version. */
  previous: AllowlistSide | null;
  current: AllowlistSide;
  added: string[];
  removed: string[];
  /** Each endpoint whose entries changed, with its previous and current entries. */
  endpoints: EndpointChange[];
}

export interface AllowlistSide {
  contentSha256: string;
  /** Number of entries. */
  entries: number;
  ports: PortSpec[];
}

export interface EndpointChange {
  id: string;
  hostname: string | null;
  /** Null: not in the previous (or current) list. */
  previous: string[] | null;
  current: string[] | null;
}

/** The parts of an allowlist a change is computed from (a `GroupAllowlist` or its snapshot). */
export type AllowlistContent = Pick<
  GroupAllowlist,
  "group" | "contentSha256" | "ports" | "addresses" | "domains"
> & { endpoints: { id: string; hostname: string | null; addresses: readonly string[] }[] };

/** The id of a change of `group` from one content hash (null: none yet) to another. */
export function allowlistChangeId(group: string, from: string | null, to: string): string {
  return sha256Hex(canonicalJson({ group, from, to }));
}

/** What a firewall lists for it: addresses, then the names allowed by name only. */
export function allowlistEntries(content: Pick<AllowlistContent, "addresses" | "domains">) {
  return [...content.addresses, ...(content.domains ?? [])];
}

/**
 * The difference between two contents of one group (pure). Added and removed entries keep the
 * list's order (addresses numerically, then names).
 */
export function diffAllowlists(
  previous: AllowlistContent | null,
  current: AllowlistContent,
): Pick<AllowlistChange, "previous" | "current" | "added" | "removed" | "endpoints"> {
  const before = previous === null ? [] : allowlistEntries(previous);
  const after = allowlistEntries(current);
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  return {
    previous: previous === null ? null : side(previous),
    current: side(current),
    added: after.filter((entry) => !beforeSet.has(entry)),
    removed: before.filter((entry) => !afterSet.has(entry)),
    endpoints: endpointChanges(previous?.endpoints ?? [], current.endpoints),
  };
}

function side(content: AllowlistContent): AllowlistSide {
  return {
    contentSha256: content.contentSha256,
    entries: allowlistEntries(content).length,
    ports: content.ports,
  };
}

function endpointChanges(
  previous: AllowlistContent["endpoints"],
  current: AllowlistContent["endpoints"],
): EndpointChange[] {
  const before = new Map(previous.map((e) => [e.id, e]));
  const after = new Map(current.map((e) => [e.id, e]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort(compareText);
  const changes: EndpointChange[] = [];
  for (const id of ids) {
    const was = before.get(id);
    const now = after.get(id);
    const wasList = was === undefined ? null : sortAddresses(was.addresses);
    const nowList = now === undefined ? null : sortAddresses(now.addresses);
    if (canonicalJson(wasList) === canonicalJson(nowList)) continue;
    changes.push({
      id,
      hostname: now?.hostname ?? was?.hostname ?? null,
      previous: wasList,
      current: nowList,
    });
  }
  return changes;
}
