import { describe, expect, it } from "vitest";
import {
  catalogueSummary,
  newCurrentItem,
  storedCatalogue,
  storedEntryState,
  versionItem,
} from "#shared/adapters/dynamodb/catalogue-store/catalogue-items";
import { StoredCatalogueCorruptError } from "#shared/catalogue/store";
import { catalogueEntries } from "#shared/catalogue/versioning";
import { catalogue } from "#test/helpers/verdict-fixtures";

const AT = "2026-08-21T12:00:00.000Z";
const PK = `CATALOGUE#${catalogue.id}`;

/** The current items of a first import of the fixture catalogue. */
function currentItems() {
  return catalogueEntries(catalogue).map((entry) => newCurrentItem(PK, entry, AT, {}));
}

describe("the catalogue's entry items", () => {
  it("key version items by kind, entry and zero-padded version", () => {
    // Prepare
    const [header] = catalogueEntries(catalogue);
    if (header === undefined) throw new Error("the fixture has a header entry");

    // Act
    const item = versionItem(catalogue.id, header, 12, AT);

    // Assess
    expect(item).toMatchObject({
      pk: PK,
      sk: `VERSION#header#${catalogue.id}#000012`,
      kind: "catalogue-entry-version",
      version: 12,
      contentHash: header.contentHash,
      importedAt: AT,
    });
  });

  it("read back as the catalogue, in file order, without the removed entries", () => {
    // Prepare
    const items = currentItems();
    const [first] = catalogue.endpoints;
    const removed = items.map((item) =>
      item.entryKind === "endpoint" && item.entryId === first?.id
        ? { ...item, status: "removed" as const }
        : item,
    );

    // Act / Assess
    expect(storedCatalogue(catalogue.id, [...items].reverse())).toEqual(catalogue);
    expect(storedCatalogue(catalogue.id, removed)?.endpoints).toEqual(catalogue.endpoints.slice(1));
    expect(storedCatalogue(catalogue.id, items.slice(1))).toBeNull();
  });

  it("say a stored catalogue that does not validate is corrupt", () => {
    const items = currentItems().map((item) =>
      item.entryKind === "endpoint" ? { ...item, body: { id: item.entryId } } : item,
    );

    expect(() => storedCatalogue(catalogue.id, items)).toThrow(StoredCatalogueCorruptError);
  });

  it("give each entry's state and the header's summary", () => {
    // Prepare
    const [header, ...rest] = currentItems();
    if (header === undefined) throw new Error("the fixture has a header entry");

    // Act
    const summary = catalogueSummary({ ...header, endpointCount: 2, poolCount: 1 });

    // Assess
    expect(storedEntryState(header)).toEqual({
      kind: "header",
      entryId: catalogue.id,
      version: 1,
      contentHash: header.contentHash,
      status: "active",
      position: 0,
    });
    expect(summary).toMatchObject({
      id: catalogue.id,
      vendor: catalogue.vendor,
      endpointCount: 2,
      poolCount: 1,
      firstImportedAt: AT,
      lastChangedAt: AT,
    });
    expect(rest).toHaveLength(catalogue.endpoints.length + catalogue.pools.length);
  });
});
