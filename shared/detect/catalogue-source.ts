import type { Catalogue } from "#shared/catalogue/schema";
import type { CatalogueStore } from "#shared/catalogue/store";

/** Where a function's catalogue comes from: the table (in AWS) or a file (tests, local runs). */
export type CatalogueSource = (catalogueId: string) => Promise<Catalogue>;

export class CatalogueNotImportedError extends Error {
  override name = "CatalogueNotImportedError";
  constructor(readonly catalogueId: string) {
    super(
      `catalogue ${catalogueId} is not in the table; import it first (driftwatch catalogue import)`,
    );
  }
}

/** The current catalogue from the catalogue store; `CatalogueNotImportedError` when absent. */
export function storedCatalogueSource(
  store: Pick<CatalogueStore, "loadCatalogue">,
): CatalogueSource {
  return async (catalogueId) => {
    const catalogue = await store.loadCatalogue(catalogueId);
    if (catalogue === null) throw new CatalogueNotImportedError(catalogueId);
    return catalogue;
  };
}
