import { CatalogueValidationError, parseCatalogue } from "#shared/catalogue/load";
import type { Catalogue, Endpoint, Pool } from "#shared/catalogue/schema";
import {
  type CatalogueEntryVersion,
  type CatalogueSummary,
  StoredCatalogueCorruptError,
} from "#shared/catalogue/store";
import {
  assembleCatalogue,
  type CatalogueEntry,
  type CatalogueEntryKind,
  type CatalogueHeader,
  type StoredEntryState,
} from "#shared/catalogue/versioning";
import { catalogueKeys } from "./catalogue-keys";

/** The catalogue's current-entry and version items and back: pure mapping, no I/O. */

/** The current item of an entry (`sk = ENTRY#<kind>#<entryId>`). */
export interface CurrentEntryItem extends Omit<StoredEntryState, "kind"> {
  pk: string;
  sk: string;
  kind: "catalogue-entry";
  entryKind: CatalogueEntryKind;
  body: unknown;
  firstImportedAt: string;
  updatedAt: string;
  removedAt?: string;
  // Header only: the catalogue index and its summary.
  gsi1pk?: string;
  gsi1sk?: string;
  endpointCount?: number;
  poolCount?: number;
  lastChangedAt?: string;
}

/** An immutable version of an entry (`sk = VERSION#<kind>#<entryId>#<000001>`). */
export interface VersionItem {
  pk: string;
  sk: string;
  kind: "catalogue-entry-version";
  entryKind: CatalogueEntryKind;
  entryId: string;
  version: number;
  contentHash: string;
  importedAt: string;
  body: unknown;
}

export function versionItem(
  catalogueId: string,
  entry: CatalogueEntry,
  version: number,
  at: string,
): VersionItem {
  return {
    pk: catalogueKeys.pk(catalogueId),
    sk: catalogueKeys.version(entry.kind, entry.entryId, version),
    kind: "catalogue-entry-version",
    entryKind: entry.kind,
    entryId: entry.entryId,
    version,
    contentHash: entry.contentHash,
    importedAt: at,
    body: entry.body,
  };
}

/** The current item of an entry imported for the first time (version 1), plus `extra`. */
export function newCurrentItem(
  pk: string,
  entry: CatalogueEntry,
  at: string,
  extra: Partial<CurrentEntryItem>,
): CurrentEntryItem {
  return {
    pk,
    sk: catalogueKeys.entry(entry.kind, entry.entryId),
    kind: "catalogue-entry",
    entryKind: entry.kind,
    entryId: entry.entryId,
    version: 1,
    contentHash: entry.contentHash,
    status: "active",
    position: entry.position,
    body: entry.body,
    firstImportedAt: at,
    updatedAt: at,
    ...extra,
  };
}

export function storedEntryState(item: CurrentEntryItem): StoredEntryState {
  const { entryKind, entryId, version, contentHash, status, position } = item;
  return { kind: entryKind, entryId, version, contentHash, status, position };
}

export function entryVersion(item: VersionItem): CatalogueEntryVersion {
  const { entryKind, entryId, version, contentHash, importedAt, body } = item;
  return { kind: entryKind, entryId, version, contentHash, importedAt, body };
}

/** The summary a header's current item carries for `listCatalogues`. */
export function catalogueSummary(item: CurrentEntryItem): CatalogueSummary {
  const header = item.body as CatalogueHeader;
  return {
    id: header.id,
    vendor: header.vendor,
    product: header.product,
    document: header.document,
    review: header.review,
    endpointCount: item.endpointCount ?? 0,
    poolCount: item.poolCount ?? 0,
    firstImportedAt: item.firstImportedAt,
    lastChangedAt: item.lastChangedAt ?? item.updatedAt,
  };
}

/**
 * The current catalogue from its entries' current items: the active entries in file order,
 * validated; null without a header (never imported).
 */
export function storedCatalogue(catalogueId: string, items: CurrentEntryItem[]): Catalogue | null {
  const header = items.find((i) => i.entryKind === "header");
  if (header === undefined) return null;
  const active = items.filter((i) => i.status === "active");
  const catalogue = assembleCatalogue(
    header.body as CatalogueHeader,
    active.filter((i) => i.entryKind === "pool").map((i) => ({ ...i, body: i.body as Pool })),
    active
      .filter((i) => i.entryKind === "endpoint")
      .map((i) => ({ ...i, body: i.body as Endpoint })),
  );
  try {
    return parseCatalogue(catalogue, `stored catalogue ${catalogueId}`);
  } catch (error) {
    if (!(error instanceof CatalogueValidationError)) throw error;
    throw new StoredCatalogueCorruptError(
      `stored catalogue ${catalogueId} does not validate: ${error.message}`,
      { cause: error },
    );
  }
}
