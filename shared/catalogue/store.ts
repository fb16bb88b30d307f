import type { Catalogue } from "#shared/catalogue/schema";
import type {
  CatalogueEntryKind,
  ChangeCounts,
  EntryChange,
  StoredEntryState,
} from "#shared/catalogue/versioning";

/**
 * The catalogue store port. The system of record keeps every version of every entry (header,
 * pool, endpoint); the current catalogue is the latest version of each active entry.
 * Adapter: `shared/adapters/dynamodb/catalogue-store.ts`.
 */
export interface CatalogueStore {
  /**
   * Imports a (validated) catalogue idempotently:
   * 1. read the stored state of the catalogue's entries;
   * 2. plan per entry by content hash (`planCatalogueImport`);
   * 3. write a new version for each added or changed entry (the old version is kept), mark
   *    entries missing from the file as removed; write nothing when nothing changed.
   */
  importCatalogue(catalogue: Catalogue, now: Date): Promise<CatalogueImportSummary>;
  /** The current catalogue, or `null` when it was never imported. */
  loadCatalogue(catalogueId: string): Promise<Catalogue | null>;
  listCatalogues(): Promise<CatalogueSummary[]>;
  /** The state of every entry ever imported, removed ones included. */
  listEntries(catalogueId: string): Promise<StoredEntryState[]>;
  /** Every stored version of one entry, oldest first. */
  listEntryVersions(
    catalogueId: string,
    kind: CatalogueEntryKind,
    entryId: string,
  ): Promise<CatalogueEntryVersion[]>;
}

export interface CatalogueImportSummary extends ChangeCounts {
  /** `added`, `changed`, `unchanged`, `removed` (inherited) count endpoints. */
  catalogueId: string;
  pools: ChangeCounts;
  header: EntryChange;
  /** Every entry that was added, changed or removed, with the version now current. */
  changes: { kind: CatalogueEntryKind; entryId: string; change: EntryChange; version: number }[];
}

export interface CatalogueSummary {
  id: string;
  vendor: string;
  product: string;
  document: Catalogue["document"];
  review: Catalogue["review"];
  endpointCount: number;
  poolCount: number;
  firstImportedAt: string;
  /** When an import last changed anything. */
  lastChangedAt: string;
}

export interface CatalogueEntryVersion {
  kind: CatalogueEntryKind;
  entryId: string;
  version: number;
  contentHash: string;
  importedAt: string;
  body: unknown;
}

/** Another import changed the same entry in between (a conditional write failed). */
export class CatalogueImportConflictError extends Error {
  override readonly name = "CatalogueImportConflictError";
}

/** The store holds something that does not read back as a valid catalogue. */
export class StoredCatalogueCorruptError extends Error {
  override readonly name = "StoredCatalogueCorruptError";
}
