import type { Catalogue } from "#shared/catalogue/schema";
import { cidrContains, sortAddresses } from "#shared/domain/addresses";
import type { FeedId } from "#shared/domain/feed";
import { type AllowlistEndpoint, type GroupAllowlist, groupAllowlist } from "./build";
import type { WrittenAllowlist } from "./written-allowlist";

/**
 * Allowlists of groups that rely on a feed whose stored snapshot cannot be read this run (its
 * archived object is missing or corrupt). Built without that feed's ranges they would drop every
 * published prefix, so such a group is held:
 * - with its last written JSON document (`allowlists/<group>.json`): rebuilt as usual, except
 *   that each endpoint of the unreadable feed keeps the published prefixes that document listed
 *   for it (the last known ranges), plus its documented IPs and the observed IPs outside them;
 * - without one (never written, missing, or not a valid document): kept as last written, not
 *   rewritten at all.
 */

export interface HeldGroup {
  /** The unreadable feeds the group's endpoints rely on, sorted. */
  feeds: FeedId[];
  /**
   * True when no last written document could be used: the allowlist is not rewritten this run.
   * False when it is rebuilt with the unreadable feeds' last known prefixes.
   */
  keptAsWritten: boolean;
}

/**
 * The groups held this run: those with an endpoint whose feed is unreadable, with those feeds.
 * The one rule for it, shared by the verdicts (their wording) and the allowlist writer.
 */
export function groupsOnUnreadableFeeds(
  catalogue: Pick<Catalogue, "endpoints">,
  unreadable: readonly FeedId[] | undefined,
): Map<string, FeedId[]> {
  const feeds = new Set(unreadable ?? []);
  const held = new Map<string, FeedId[]>();
  if (feeds.size === 0) return held;
  for (const endpoint of catalogue.endpoints) {
    if (endpoint.feed === undefined || !feeds.has(endpoint.feed)) continue;
    const list = held.get(endpoint.group) ?? [];
    if (!list.includes(endpoint.feed)) list.push(endpoint.feed);
    held.set(endpoint.group, list.sort());
  }
  return held;
}

export interface HeldAllowlists {
  /** The allowlists to write this run: held groups rebuilt, groups kept as written left out. */
  allowlists: GroupAllowlist[];
  held: Map<string, HeldGroup>;
}

/**
 * Applies holding to freshly built allowlists (`buildAllowlists` without the unreadable feeds'
 * matchers). `written` holds the last written document of each held group that has one. Pure.
 */
export function holdAllowlists(
  built: readonly GroupAllowlist[],
  input: {
    catalogue: Pick<Catalogue, "endpoints" | "pools">;
    unreadable: readonly FeedId[] | undefined;
    written: ReadonlyMap<string, WrittenAllowlist>;
  },
): HeldAllowlists {
  const onUnreadable = groupsOnUnreadableFeeds(input.catalogue, input.unreadable);
  const held = new Map<string, HeldGroup>();
  const allowlists: GroupAllowlist[] = [];
  const endpoints = new Map(input.catalogue.endpoints.map((e) => [e.id, e]));
  const pools = new Map(input.catalogue.pools.map((pool) => [pool.id, pool]));
  for (const allowlist of built) {
    const feeds = onUnreadable.get(allowlist.group);
    if (feeds === undefined) {
      allowlists.push(allowlist);
      continue;
    }
    const document = input.written.get(allowlist.group);
    held.set(allowlist.group, { feeds, keptAsWritten: document === undefined });
    if (document === undefined) continue;
    const lastEntries = new Map(document.endpoints.map((entry) => [entry.id, entry]));
    const entries = allowlist.endpoints.map((entry): AllowlistEndpoint => {
      const endpoint = endpoints.get(entry.id);
      if (endpoint?.feed === undefined || !feeds.includes(endpoint.feed)) return entry;
      // Published prefixes are CIDRs; documented and observed addresses are bare IPs.
      const kept = (lastEntries.get(entry.id)?.addresses ?? []).filter((a) => a.includes("/"));
      const pool = endpoint.pool === undefined ? undefined : pools.get(endpoint.pool);
      const documented = new Set([...endpoint.ips, ...(pool?.ips ?? [])]);
      const listed = entry.addresses.filter(
        (address) => documented.has(address) || !kept.some((p) => cidrContains(p, address)),
      );
      return { ...entry, addresses: sortAddresses([...kept, ...listed]) };
    });
    allowlists.push(
      groupAllowlist(allowlist.catalogueId, allowlist.group, entries, {
        aggregate: allowlist.aggregated,
      }),
    );
  }
  return { allowlists, held };
}
