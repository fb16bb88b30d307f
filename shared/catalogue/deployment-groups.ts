import type { Catalogue } from "./schema";

/**
 * The deployment-wide rule for firewall group names: a group belongs to one catalogue.
 *
 * A group's allowlist is `allowlists/<group>.txt` (and `.json`, the domain lists), served as
 * `/allowlists/{group}`, and SNS filter policies match on `group`: none of them names the
 * catalogue. Two vendors' catalogues using the same group name would write one file over the
 * other, or have a firewall rule allow the union of both vendors' addresses without anyone having
 * decided it. So a deployment that watches several catalogues refuses a group name two of them
 * use; the catalogue author qualifies it with the catalogue's vendor or id instead
 * (`sophos-central-product-updates`), which keeps every file, route and filter policy naming
 * exactly one vendor's rule.
 */

/** A group name two catalogues of one deployment both use. */
export interface GroupClash {
  group: string;
  /** The catalogue that had the group first (in the order given), then the other one. */
  catalogueIds: [string, string];
}

export class CatalogueGroupClashError extends Error {
  override readonly name = "CatalogueGroupClashError";
  constructor(readonly clash: GroupClash) {
    const [first, second] = clash.catalogueIds;
    const group = JSON.stringify(clash.group);
    super(
      `firewall group ${group} is used by catalogue ${first} and by catalogue ${second}: a group ` +
        "name must be unique across a deployment's catalogues (allowlists/<group>.txt, " +
        "/allowlists/{group} and SNS filters name no catalogue, so two vendors' groups would " +
        `merge); rename it in one of them, e.g. ${JSON.stringify(`${second}-${clash.group}`)}`,
    );
  }
}

/** The firewall groups of a catalogue: those of its endpoints, each once, sorted. */
export function catalogueGroups(catalogue: Pick<Catalogue, "endpoints">): string[] {
  return [...new Set(catalogue.endpoints.map((endpoint) => endpoint.group))].sort();
}

/**
 * The first group two of the catalogues share, in the order given (then by group name), or
 * null. A catalogue id given twice counts once (the later copy is the one that counts).
 */
export function findGroupClash(
  catalogues: readonly Pick<Catalogue, "id" | "endpoints">[],
): GroupClash | null {
  const byId = new Map(catalogues.map((catalogue) => [catalogue.id, catalogue]));
  const owner = new Map<string, string>();
  for (const [id, catalogue] of byId) {
    for (const group of catalogueGroups(catalogue)) {
      const first = owner.get(group);
      if (first !== undefined) return { group, catalogueIds: [first, id] };
      owner.set(group, id);
    }
  }
  return null;
}

/** Throws `CatalogueGroupClashError` when two of the catalogues share a group name. */
export function assertUniqueGroups(catalogues: readonly Pick<Catalogue, "id" | "endpoints">[]) {
  const clash = findGroupClash(catalogues);
  if (clash !== null) throw new CatalogueGroupClashError(clash);
}
