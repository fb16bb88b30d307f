import type { CatalogueEntryKind } from "#shared/catalogue/versioning";

/** Keys of the catalogue items (TABLE.md, "Catalogue"). */

/** `gsi1pk` of every catalogue's header item: `listCatalogues` is one query. */
export const CATALOGUE_INDEX_PK = "CATALOGUE#ALL";

export const catalogueKeys = {
  pk: (catalogueId: string) => `CATALOGUE#${catalogueId}`,
  entry: (kind: CatalogueEntryKind, entryId: string) => `ENTRY#${kind}#${entryId}`,
  version: (kind: CatalogueEntryKind, entryId: string, version: number) =>
    `VERSION#${kind}#${entryId}#${String(version).padStart(6, "0")}`,
};
