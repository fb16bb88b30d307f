import { type CatalogueDiff, diffCatalogues } from "#shared/catalogue/diff/diff-catalogues";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/** Reads and validates a catalogue file; throws an error naming the file. */
export type CatalogueFileLoader = (path: string) => Promise<Catalogue>;

/**
 * `driftwatch catalogue diff OLD NEW`:
 * 1. Read and validate both files (each error names its file: unreadable, not JSON, invalid).
 * 2. Compare them host by host (`diffCatalogues`).
 */
export async function compareCatalogueFiles(
  oldPath: string,
  newPath: string,
  load: CatalogueFileLoader = loadCatalogueFile,
): Promise<CatalogueDiff> {
  const before = await load(oldPath);
  const after = await load(newPath);
  return diffCatalogues(before, after);
}
