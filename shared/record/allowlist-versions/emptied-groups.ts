import { type GroupAllowlist, groupAllowlist } from "#shared/allowlists/build";
import type { Catalogue } from "#shared/catalogue/schema";
import { compareText } from "#shared/domain/canonical";
import type { CatalogueVersion } from "./ports";

/**
 * The groups the version lists that this cycle plans no allowlist for (a catalogue revision
 * moved or removed their last endpoint), as empty allowlists: written and versioned like any
 * other change, so a firewall polling the group's list stops allowing what the catalogue no
 * longer documents there, and "changes since N" shows the group emptied. Once empty, the
 * content is unchanged and nothing more is written or versioned. Pure.
 */
export function emptiedGroupAllowlists(
  catalogue: Pick<Catalogue, "id" | "groups">,
  planned: readonly GroupAllowlist[],
  version: CatalogueVersion | null,
): GroupAllowlist[] {
  if (version === null) return [];
  const plannedGroups = new Set(planned.map((allowlist) => allowlist.group));
  return Object.keys(version.groups)
    .filter((group) => !plannedGroups.has(group))
    .sort(compareText)
    .map((group) => groupAllowlist(catalogue.id, group, [], catalogue.groups?.[group]));
}
