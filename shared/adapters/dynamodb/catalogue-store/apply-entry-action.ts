import type { Catalogue } from "#shared/catalogue/schema";
import type { EntryAction, StoredEntryState } from "#shared/catalogue/versioning";
import { CATALOGUE_INDEX_PK, catalogueKeys } from "./catalogue-keys";
import type { CatalogueTable } from "./catalogue-table";
import { advanceCurrent, putNewCurrent, putVersion, updateEntry } from "./entry-writes";

/** Applies one pool or endpoint action; returns the version now current. */
export async function applyEntryAction(
  table: CatalogueTable,
  catalogueId: string,
  action: EntryAction,
  at: string,
): Promise<number> {
  const pk = catalogueKeys.pk(catalogueId);
  switch (action.action) {
    case "create": {
      await putVersion(table, catalogueId, action.entry, 1, at);
      await putNewCurrent(table, pk, action.entry, at, {});
      return 1;
    }
    case "new-version": {
      const version = action.previous.version + 1;
      await putVersion(table, catalogueId, action.entry, version, at);
      await advanceCurrent(table, pk, action.entry, action.previous, version, at, {});
      return version;
    }
    case "reactivate":
    case "reposition":
      await reactivateEntry(table, pk, action.previous, action.entry.position, at);
      return action.previous.version;
    case "remove":
      await removeEntry(table, pk, action.previous, at);
      return action.previous.version;
    case "none":
      return action.previous.version;
  }
}

/**
 * The header carries the index keys and the summary; written last, only when anything changed.
 * Returns the header's version now current.
 */
export async function applyHeaderAction(
  table: CatalogueTable,
  catalogue: Catalogue,
  action: EntryAction,
  at: string,
): Promise<number> {
  const pk = catalogueKeys.pk(catalogue.id);
  const summary = {
    endpointCount: catalogue.endpoints.length,
    poolCount: catalogue.pools.length,
    lastChangedAt: at,
  };
  if (action.action === "create") {
    await putVersion(table, catalogue.id, action.entry, 1, at);
    await putNewCurrent(table, pk, action.entry, at, {
      ...summary,
      gsi1pk: CATALOGUE_INDEX_PK,
      gsi1sk: catalogue.id,
    });
    return 1;
  }
  if (action.action === "new-version") {
    const version = action.previous.version + 1;
    await putVersion(table, catalogue.id, action.entry, version, at);
    await advanceCurrent(table, pk, action.entry, action.previous, version, at, summary);
    return version;
  }
  if (action.action === "remove") throw new Error("a catalogue header is never removed");
  await updateEntry(table, {
    Key: { pk, sk: catalogueKeys.entry("header", catalogue.id) },
    UpdateExpression:
      "SET endpointCount = :endpoints, poolCount = :pools, lastChangedAt = :at, updatedAt = :at",
    ConditionExpression: "#version = :version",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: {
      ":endpoints": summary.endpointCount,
      ":pools": summary.poolCount,
      ":at": at,
      ":version": action.previous.version,
    },
  });
  return action.previous.version;
}

/** Active again (or only moved) at `position`, under the version read; no new version. */
function reactivateEntry(
  table: CatalogueTable,
  pk: string,
  previous: StoredEntryState,
  position: number,
  at: string,
): Promise<void> {
  return updateEntry(table, {
    Key: { pk, sk: catalogueKeys.entry(previous.kind, previous.entryId) },
    UpdateExpression:
      "SET #status = :active, #position = :position, updatedAt = :at REMOVE removedAt",
    ConditionExpression: "#version = :version",
    ExpressionAttributeNames: {
      "#status": "status",
      "#position": "position",
      "#version": "version",
    },
    ExpressionAttributeValues: {
      ":active": "active",
      ":position": position,
      ":at": at,
      ":version": previous.version,
    },
  });
}

/** Marked removed (never deleted), under the version read while it is active. */
function removeEntry(
  table: CatalogueTable,
  pk: string,
  previous: StoredEntryState,
  at: string,
): Promise<void> {
  return updateEntry(table, {
    Key: { pk, sk: catalogueKeys.entry(previous.kind, previous.entryId) },
    UpdateExpression: "SET #status = :removed, removedAt = :at, updatedAt = :at",
    ConditionExpression: "#version = :version AND #status = :active",
    ExpressionAttributeNames: { "#status": "status", "#version": "version" },
    ExpressionAttributeValues: {
      ":removed": "removed",
      ":active": "active",
      ":at": at,
      ":version": previous.version,
    },
  });
}
