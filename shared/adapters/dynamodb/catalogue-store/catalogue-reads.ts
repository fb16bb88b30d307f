import { GetCommand, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { Catalogue } from "#shared/catalogue/schema";
import type { CatalogueEntryVersion, CatalogueSummary } from "#shared/catalogue/store";
import type { CatalogueEntryKind, StoredEntryState } from "#shared/catalogue/versioning";
import { readAllPages } from "../read-all-pages";
import {
  type CurrentEntryItem,
  catalogueSummary,
  entryVersion,
  storedCatalogue,
  storedEntryState,
  type VersionItem,
} from "./catalogue-items";
import { CATALOGUE_INDEX_PK, catalogueKeys } from "./catalogue-keys";
import type { CatalogueTable } from "./catalogue-table";

/** The current catalogue (its active entries, validated), or null when never imported. */
export async function loadCatalogue(
  table: CatalogueTable,
  catalogueId: string,
): Promise<Catalogue | null> {
  const items = await queryCatalogue<CurrentEntryItem>(table, catalogueId, "ENTRY#");
  return storedCatalogue(catalogueId, items);
}

/** Every catalogue's summary: one query of the header items on `gsi1`. */
export async function listCatalogues(table: CatalogueTable): Promise<CatalogueSummary[]> {
  const items = await query<CurrentEntryItem>(table, {
    TableName: table.tableName,
    IndexName: "gsi1",
    KeyConditionExpression: "gsi1pk = :pk",
    ExpressionAttributeValues: { ":pk": CATALOGUE_INDEX_PK },
  });
  return items.map(catalogueSummary);
}

/** The state of every entry ever imported, removed ones included. */
export async function listEntries(
  table: CatalogueTable,
  catalogueId: string,
): Promise<StoredEntryState[]> {
  const items = await queryCatalogue<CurrentEntryItem>(table, catalogueId, "ENTRY#");
  return items.map(storedEntryState);
}

/** Every stored version of one entry, oldest first. */
export async function listEntryVersions(
  table: CatalogueTable,
  catalogueId: string,
  kind: CatalogueEntryKind,
  entryId: string,
): Promise<CatalogueEntryVersion[]> {
  const prefix = `VERSION#${kind}#${entryId}#`;
  const items = await queryCatalogue<VersionItem>(table, catalogueId, prefix);
  return items.map(entryVersion);
}

/** One item of a catalogue's partition (consistent read). */
export async function getCatalogueItem<T>(
  table: CatalogueTable,
  pk: string,
  sk: string,
): Promise<T | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: { pk, sk }, ConsistentRead: true }),
  );
  return Item as T | undefined;
}

function queryCatalogue<T>(table: CatalogueTable, catalogueId: string, skPrefix: string) {
  return query<T>(table, {
    TableName: table.tableName,
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": catalogueKeys.pk(catalogueId), ":prefix": skPrefix },
    ConsistentRead: true,
  });
}

async function query<T>(table: CatalogueTable, input: QueryCommandInput): Promise<T[]> {
  const items = await readAllPages((startKey) =>
    table.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
  );
  return items as T[];
}
