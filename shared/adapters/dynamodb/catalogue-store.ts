import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { CatalogueValidationError, parseCatalogue } from "#shared/catalogue/load";
import type { Catalogue, Endpoint, Pool } from "#shared/catalogue/schema";
import {
  type CatalogueEntryVersion,
  CatalogueImportConflictError,
  type CatalogueImportSummary,
  type CatalogueStore,
  type CatalogueSummary,
  StoredCatalogueCorruptError,
} from "#shared/catalogue/store";
import {
  assembleCatalogue,
  type CatalogueEntry,
  type CatalogueEntryKind,
  type CatalogueHeader,
  changeOf,
  countChanges,
  type EntryAction,
  planCatalogueImport,
  type StoredEntryState,
} from "#shared/catalogue/versioning";

/**
 * DynamoDB adapter of the catalogue store (item layout: TABLE.md, section "Catalogue").
 * No transactions: each entry is a version item (immutable, `attribute_not_exists`) plus a
 * current item updated under a condition on its version, so a retried import converges and a
 * concurrent one fails with `CatalogueImportConflictError` instead of losing a version.
 */
export const CATALOGUE_INDEX_PK = "CATALOGUE#ALL";

export const catalogueKeys = {
  pk: (catalogueId: string) => `CATALOGUE#${catalogueId}`,
  entry: (kind: CatalogueEntryKind, entryId: string) => `ENTRY#${kind}#${entryId}`,
  version: (kind: CatalogueEntryKind, entryId: string, version: number) =>
    `VERSION#${kind}#${entryId}#${String(version).padStart(6, "0")}`,
};

/** The current item of an entry (`sk = ENTRY#<kind>#<entryId>`). */
interface CurrentEntryItem extends Omit<StoredEntryState, "kind"> {
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

interface VersionItem {
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

export interface DynamoDbCatalogueStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Concurrent writes during an import. */
  concurrency?: number;
}

export class DynamoDbCatalogueStore implements CatalogueStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly concurrency: number;

  constructor(options: DynamoDbCatalogueStoreOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.concurrency = options.concurrency ?? 8;
  }

  async importCatalogue(catalogue: Catalogue, now: Date): Promise<CatalogueImportSummary> {
    const checked = parseCatalogue(catalogue, `catalogue ${catalogue.id}`);
    const at = now.toISOString();
    const stored = await this.listEntries(checked.id);
    const plan = planCatalogueImport(checked, stored);
    const writes = plan.actions.filter((a) => a.action !== "none");
    const entryWrites = writes.filter((a) => !isHeaderAction(a));
    const versions = new Map<string, number>();

    const pools = entryWrites.filter((a) => kindOf(a) === "pool" && a.action !== "remove");
    const endpoints = entryWrites.filter((a) => kindOf(a) === "endpoint");
    const poolRemovals = entryWrites.filter((a) => kindOf(a) === "pool" && a.action === "remove");
    for (const batch of [pools, endpoints, poolRemovals]) {
      await this.inParallel(batch, async (action) => {
        versions.set(keyOf(action), await this.apply(checked.id, action, at));
      });
    }

    const headerAction = plan.actions.find(isHeaderAction);
    if (headerAction === undefined) throw new Error("import plan without a header entry");
    if (writes.length > 0) {
      versions.set(keyOf(headerAction), await this.applyHeader(checked, headerAction, at));
    }

    const changes = writes
      .filter((a) => a.action !== "reposition")
      .map((action) => ({
        kind: kindOf(action),
        entryId: action.action === "remove" ? action.previous.entryId : action.entry.entryId,
        change: changeOf(action),
        version: versions.get(keyOf(action)) ?? 0,
      }));
    return {
      catalogueId: checked.id,
      ...countChanges(plan.actions, "endpoint"),
      pools: countChanges(plan.actions, "pool"),
      header: changeOf(headerAction),
      changes,
    };
  }

  async loadCatalogue(catalogueId: string): Promise<Catalogue | null> {
    const items = await this.queryAll<CurrentEntryItem>(catalogueId, "ENTRY#");
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

  async listCatalogues(): Promise<CatalogueSummary[]> {
    const items = await this.paginate<CurrentEntryItem>({
      TableName: this.tableName,
      IndexName: "gsi1",
      KeyConditionExpression: "gsi1pk = :pk",
      ExpressionAttributeValues: { ":pk": CATALOGUE_INDEX_PK },
    });
    return items.map((item) => {
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
    });
  }

  async listEntries(catalogueId: string): Promise<StoredEntryState[]> {
    const items = await this.queryAll<CurrentEntryItem>(catalogueId, "ENTRY#");
    return items.map(({ entryKind, entryId, version, contentHash, status, position }) => ({
      kind: entryKind,
      entryId,
      version,
      contentHash,
      status,
      position,
    }));
  }

  async listEntryVersions(
    catalogueId: string,
    kind: CatalogueEntryKind,
    entryId: string,
  ): Promise<CatalogueEntryVersion[]> {
    const items = await this.queryAll<VersionItem>(catalogueId, `VERSION#${kind}#${entryId}#`);
    return items.map(({ entryKind, entryId, version, contentHash, importedAt, body }) => ({
      kind: entryKind,
      entryId,
      version,
      contentHash,
      importedAt,
      body,
    }));
  }

  /** Applies one pool or endpoint action; returns the version now current. */
  private async apply(catalogueId: string, action: EntryAction, at: string): Promise<number> {
    const pk = catalogueKeys.pk(catalogueId);
    switch (action.action) {
      case "create": {
        await this.putVersion(catalogueId, action.entry, 1, at);
        await this.putNewCurrent(pk, action.entry, at, {});
        return 1;
      }
      case "new-version": {
        const version = action.previous.version + 1;
        await this.putVersion(catalogueId, action.entry, version, at);
        await this.advanceCurrent(pk, action.entry, action.previous, version, at, {});
        return version;
      }
      case "reactivate":
      case "reposition": {
        const { kind, entryId, version } = action.previous;
        await this.conditionalUpdate({
          Key: { pk, sk: catalogueKeys.entry(kind, entryId) },
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
            ":position": action.entry.position,
            ":at": at,
            ":version": version,
          },
        });
        return version;
      }
      case "remove": {
        const { kind, entryId, version } = action.previous;
        await this.conditionalUpdate({
          Key: { pk, sk: catalogueKeys.entry(kind, entryId) },
          UpdateExpression: "SET #status = :removed, removedAt = :at, updatedAt = :at",
          ConditionExpression: "#version = :version AND #status = :active",
          ExpressionAttributeNames: { "#status": "status", "#version": "version" },
          ExpressionAttributeValues: {
            ":removed": "removed",
            ":active": "active",
            ":at": at,
            ":version": version,
          },
        });
        return version;
      }
      case "none":
        return action.previous.version;
    }
  }

  /** The header carries the index keys and the summary; written last, only when anything changed. */
  private async applyHeader(
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
      await this.putVersion(catalogue.id, action.entry, 1, at);
      await this.putNewCurrent(pk, action.entry, at, {
        ...summary,
        gsi1pk: CATALOGUE_INDEX_PK,
        gsi1sk: catalogue.id,
      });
      return 1;
    }
    if (action.action === "new-version") {
      const version = action.previous.version + 1;
      await this.putVersion(catalogue.id, action.entry, version, at);
      await this.advanceCurrent(pk, action.entry, action.previous, version, at, summary);
      return version;
    }
    if (action.action === "remove") throw new Error("a catalogue header is never removed");
    await this.conditionalUpdate({
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

  /** Version items are immutable; a retry finding the same content in place carries on. */
  private async putVersion(
    catalogueId: string,
    entry: CatalogueEntry,
    version: number,
    at: string,
  ): Promise<void> {
    const item: VersionItem = {
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
    const conflict = await this.putIfAbsent(item);
    if (conflict === null) return;
    const existing = await this.get<VersionItem>(item.pk, item.sk);
    if (existing?.contentHash !== entry.contentHash) {
      throw new CatalogueImportConflictError(
        `${entry.kind} ${entry.entryId} version ${version} was written by another import`,
        { cause: conflict },
      );
    }
  }

  private async putNewCurrent(
    pk: string,
    entry: CatalogueEntry,
    at: string,
    extra: Partial<CurrentEntryItem>,
  ): Promise<void> {
    const item: CurrentEntryItem = {
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
    const conflict = await this.putIfAbsent(item);
    if (conflict !== null) {
      throw new CatalogueImportConflictError(
        `${entry.kind} ${entry.entryId} was created by another import`,
        { cause: conflict },
      );
    }
  }

  /** Writes `item` unless its key is taken; returns the failed condition when it was. */
  private async putIfAbsent(
    item: VersionItem | CurrentEntryItem,
  ): Promise<ConditionalCheckFailedException | null> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
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

  private async advanceCurrent(
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
    await this.conditionalUpdate({
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

  private async conditionalUpdate(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">,
  ): Promise<void> {
    try {
      await this.documents.send(new UpdateCommand({ TableName: this.tableName, ...input }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new CatalogueImportConflictError(
        `${String(input.Key?.sk)} was changed by another import`,
        { cause: error },
      );
    }
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return Item as T | undefined;
  }

  private queryAll<T>(catalogueId: string, skPrefix: string): Promise<T[]> {
    return this.paginate<T>({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": catalogueKeys.pk(catalogueId), ":prefix": skPrefix },
      ConsistentRead: true,
    });
  }

  private async paginate<T>(input: QueryCommandInput): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({ ...input, ExclusiveStartKey: start }),
      );
      items.push(...((page.Items ?? []) as T[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  private async inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }
}

function kindOf(action: EntryAction): CatalogueEntryKind {
  return action.action === "remove" ? action.previous.kind : action.entry.kind;
}

function keyOf(action: EntryAction): string {
  const id = action.action === "remove" ? action.previous.entryId : action.entry.entryId;
  return `${kindOf(action)}#${id}`;
}

function isHeaderAction(action: EntryAction): boolean {
  return kindOf(action) === "header";
}

export function createDynamoDbCatalogueStore(
  options: DynamoDbCatalogueStoreOptions,
): DynamoDbCatalogueStore {
  return new DynamoDbCatalogueStore(options);
}
