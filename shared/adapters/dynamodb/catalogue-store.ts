import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Catalogue } from "#shared/catalogue/schema";
import type {
  CatalogueEntryVersion,
  CatalogueImportSummary,
  CatalogueStore,
  CatalogueSummary,
} from "#shared/catalogue/store";
import type { CatalogueEntryKind, StoredEntryState } from "#shared/catalogue/versioning";
import {
  listCatalogues,
  listEntries,
  listEntryVersions,
  loadCatalogue,
} from "./catalogue-store/catalogue-reads";
import type { CatalogueTable } from "./catalogue-store/catalogue-table";
import { importCatalogue } from "./catalogue-store/import-catalogue";

/**
 * DynamoDB adapter of the catalogue store (item layout: TABLE.md, section "Catalogue").
 * No transactions: each entry is a version item (immutable, `attribute_not_exists`) plus a
 * current item updated under a condition on its version, so a retried import converges and a
 * concurrent one fails with `CatalogueImportConflictError` instead of losing a version.
 *
 * The item mapping is in `catalogue-store/catalogue-items.ts` (pure), the keys in
 * `catalogue-keys.ts`, the import and the reads in modules of their own beside them.
 */
export interface DynamoDbCatalogueStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Concurrent writes during an import. */
  concurrency?: number;
}

export class DynamoDbCatalogueStore implements CatalogueStore {
  private readonly table: CatalogueTable;

  constructor(options: DynamoDbCatalogueStoreOptions) {
    this.table = {
      documents: options.documents,
      tableName: options.tableName,
      concurrency: options.concurrency ?? 8,
    };
  }

  importCatalogue(catalogue: Catalogue, now: Date): Promise<CatalogueImportSummary> {
    return importCatalogue(this.table, catalogue, now);
  }

  loadCatalogue(catalogueId: string): Promise<Catalogue | null> {
    return loadCatalogue(this.table, catalogueId);
  }

  listCatalogues(): Promise<CatalogueSummary[]> {
    return listCatalogues(this.table);
  }

  listEntries(catalogueId: string): Promise<StoredEntryState[]> {
    return listEntries(this.table, catalogueId);
  }

  listEntryVersions(
    catalogueId: string,
    kind: CatalogueEntryKind,
    entryId: string,
  ): Promise<CatalogueEntryVersion[]> {
    return listEntryVersions(this.table, catalogueId, kind, entryId);
  }
}

export function createDynamoDbCatalogueStore(
  options: DynamoDbCatalogueStoreOptions,
): DynamoDbCatalogueStore {
  return new DynamoDbCatalogueStore(options);
}
