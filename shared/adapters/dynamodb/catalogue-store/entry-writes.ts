import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CatalogueImportConflictError } from "#shared/catalogue/store";
import type { CatalogueEntry, StoredEntryState } from "#shared/catalogue/versioning";
import {
  type CurrentEntryItem,
  newCurrentItem,
  type VersionItem,
  versionItem,
} from "./catalogue-items";
import { catalogueKeys } from "./catalogue-keys";
import { getCatalogueItem } from "./catalogue-reads";
import type { CatalogueTable } from "./catalogue-table";

/**
 * The conditional writes of a catalogue import, one entry item each. A failed condition means
 * another import raced this one: `CatalogueImportConflictError`.
 */

/** Version items are immutable; a retry finding the same content in place carries on. */
export async function putVersion(
  table: CatalogueTable,
  catalogueId: string,
  entry: CatalogueEntry,
  version: number,
  at: string,
): Promise<void> {
  const item = versionItem(catalogueId, entry, version, at);
  const conflict = await putIfAbsent(table, item);
  if (conflict === null) return;
  const existing = await getCatalogueItem<VersionItem>(table, item.pk, item.sk);
  if (existing?.contentHash !== entry.contentHash) {
    throw new CatalogueImportConflictError(
      `${entry.kind} ${entry.entryId} version ${version} was written by another import`,
      { cause: conflict },
    );
  }
}

/** The current item of an entry imported for the first time. */
export async function putNewCurrent(
  table: CatalogueTable,
  pk: string,
  entry: CatalogueEntry,
  at: string,
  extra: Partial<CurrentEntryItem>,
): Promise<void> {
  const conflict = await putIfAbsent(table, newCurrentItem(pk, entry, at, extra));
  if (conflict !== null) {
    throw new CatalogueImportConflictError(
      `${entry.kind} ${entry.entryId} was created by another import`,
      { cause: conflict },
    );
  }
}

/** Moves the current item on to `version` (and `extra`), under the version read. */
export async function advanceCurrent(
  table: CatalogueTable,
  pk: string,
  entry: CatalogueEntry,
  previous: StoredEntryState,
  version: number,
  at: string,
  extra: Record<string, string | number>,
): Promise<void> {
  const extraNames = Object.keys(extra);
  const sets = [
    "#version = :version",
    "contentHash = :hash",
    "#status = :active",
    "#position = :position",
    "body = :body",
    "updatedAt = :at",
    ...extraNames.map((_name, i) => `#x${i} = :x${i}`),
  ];
  await updateEntry(table, {
    Key: { pk, sk: catalogueKeys.entry(entry.kind, entry.entryId) },
    UpdateExpression: `SET ${sets.join(", ")} REMOVE removedAt`,
    ConditionExpression: "#version = :previous",
    ExpressionAttributeNames: {
      "#version": "version",
      "#status": "status",
      "#position": "position",
      ...Object.fromEntries(extraNames.map((name, i) => [`#x${i}`, name])),
    },
    ExpressionAttributeValues: {
      ":version": version,
      ":previous": previous.version,
      ":hash": entry.contentHash,
      ":active": "active",
      ":position": entry.position,
      ":body": entry.body,
      ":at": at,
      ...Object.fromEntries(extraNames.map((name, i) => [`:x${i}`, extra[name]])),
    },
  });
}

/** An update of one entry item; its failed condition is an import conflict. */
export async function updateEntry(
  table: CatalogueTable,
  input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">,
): Promise<void> {
  try {
    await table.documents.send(new UpdateCommand({ TableName: table.tableName, ...input }));
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    throw new CatalogueImportConflictError(
      `${String(input.Key?.sk)} was changed by another import`,
      { cause: error },
    );
  }
}

/** Writes `item` unless its key is taken; returns the failed condition when it was. */
async function putIfAbsent(
  table: CatalogueTable,
  item: VersionItem | CurrentEntryItem,
): Promise<ConditionalCheckFailedException | null> {
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(sk)",
      }),
    );
    return null;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error;
    throw error;
  }
}
