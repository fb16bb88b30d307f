import type { Catalogue, Endpoint, Pool } from "#shared/catalogue/schema";
import { contentId } from "#shared/domain/canonical";

/**
 * Versioned catalogue entries, as a store keeps them: the catalogue header (everything but the
 * endpoints and pools), each pool and each endpoint is one entry with a content hash. Importing a
 * catalogue compares hashes with the stored entries; only what changed gets a new version.
 * Pure: no I/O, no clock.
 */
export type CatalogueEntryKind = "header" | "pool" | "endpoint";

/** The catalogue without its endpoints and pools. */
export type CatalogueHeader = Omit<Catalogue, "endpoints" | "pools">;

export type CatalogueEntry =
  | {
      kind: "header";
      entryId: string;
      position: number;
      contentHash: string;
      body: CatalogueHeader;
    }
  | { kind: "pool"; entryId: string; position: number; contentHash: string; body: Pool }
  | { kind: "endpoint"; entryId: string; position: number; contentHash: string; body: Endpoint };

/** What a store holds as the current state of one entry. */
export interface StoredEntryState {
  kind: CatalogueEntryKind;
  entryId: string;
  version: number;
  contentHash: string;
  status: "active" | "removed";
  position: number;
}

export type EntryAction =
  /** Not stored yet: version 1. */
  | { action: "create"; entry: CatalogueEntry }
  /** Content changed (or came back changed after removal): a new version, the old one kept. */
  | { action: "new-version"; entry: CatalogueEntry; previous: StoredEntryState }
  /** Removed earlier, back with the same content: active again, no new version. */
  | { action: "reactivate"; entry: CatalogueEntry; previous: StoredEntryState }
  /** Same content at another position in the file: only the order changes. */
  | { action: "reposition"; entry: CatalogueEntry; previous: StoredEntryState }
  /** Stored and active, but no longer in the file: marked removed, never deleted. */
  | { action: "remove"; previous: StoredEntryState }
  | { action: "none"; entry: CatalogueEntry; previous: StoredEntryState };

export type EntryChange = "added" | "changed" | "unchanged" | "removed";

export interface ChangeCounts {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
}

export interface ImportPlan {
  catalogueId: string;
  /** In write order: header and pools before endpoints; removals of pools last. */
  actions: EntryAction[];
}

/**
 * sha256 (hex) of the canonical JSON of a value: equal content, equal hash. The same function as
 * the event and allowlist ids (`contentId`); stored entries compare against it, so its format
 * must not change.
 */
export const contentHash: (value: unknown) => string = contentId;

/** Splits a catalogue into its entries, each with its position in the file and content hash. */
export function catalogueEntries(catalogue: Catalogue): CatalogueEntry[] {
  const { endpoints, pools, ...header } = catalogue;
  return [
    {
      kind: "header",
      entryId: catalogue.id,
      position: 0,
      contentHash: contentHash(header),
      body: header,
    },
    ...pools.map((pool, position) => ({
      kind: "pool" as const,
      entryId: pool.id,
      position,
      contentHash: contentHash(pool),
      body: pool,
    })),
    ...endpoints.map((endpoint, position) => ({
      kind: "endpoint" as const,
      entryId: endpoint.id,
      position,
      contentHash: contentHash(endpoint),
      body: endpoint,
    })),
  ];
}

/** Reassembles a catalogue from its active entries (the inverse of `catalogueEntries`). */
export function assembleCatalogue(
  header: CatalogueHeader,
  pools: { position: number; body: Pool }[],
  endpoints: { position: number; body: Endpoint }[],
): Catalogue {
  const byPosition = (a: { position: number }, b: { position: number }) => a.position - b.position;
  return {
    ...header,
    endpoints: [...endpoints].sort(byPosition).map((e) => e.body),
    pools: [...pools].sort(byPosition).map((p) => p.body),
  };
}

const entryKey = (kind: CatalogueEntryKind, entryId: string) => `${kind}#${entryId}`;

/** Decides, entry by entry, what an import of `catalogue` writes over `stored`. */
export function planCatalogueImport(
  catalogue: Catalogue,
  stored: readonly StoredEntryState[],
): ImportPlan {
  const current = new Map(stored.map((s) => [entryKey(s.kind, s.entryId), s]));
  const entries = catalogueEntries(catalogue);
  const inFile = new Set(entries.map((e) => entryKey(e.kind, e.entryId)));
  const order: Record<CatalogueEntryKind, number> = { pool: 0, endpoint: 1, header: 2 };
  const actions: EntryAction[] = [];

  for (const entry of [...entries].sort((a, b) => order[a.kind] - order[b.kind])) {
    const previous = current.get(entryKey(entry.kind, entry.entryId));
    if (previous === undefined) {
      actions.push({ action: "create", entry });
    } else if (previous.contentHash !== entry.contentHash) {
      actions.push({ action: "new-version", entry, previous });
    } else if (previous.status === "removed") {
      actions.push({ action: "reactivate", entry, previous });
    } else if (previous.position !== entry.position) {
      actions.push({ action: "reposition", entry, previous });
    } else {
      actions.push({ action: "none", entry, previous });
    }
  }
  // Endpoints go before pools, so an active endpoint never points at a removed pool.
  const removals = stored
    .filter((s) => s.status === "active" && !inFile.has(entryKey(s.kind, s.entryId)))
    .sort((a, b) => order[b.kind] - order[a.kind]);
  const headerAt = actions.findIndex((a) => a.action !== "remove" && a.entry.kind === "header");
  actions.splice(
    headerAt,
    0,
    ...removals.map((previous) => ({ action: "remove" as const, previous })),
  );
  return { catalogueId: catalogue.id, actions };
}

/** How an action counts in an import summary. */
export function changeOf(action: EntryAction): EntryChange {
  switch (action.action) {
    case "create":
    case "reactivate":
      return "added";
    case "new-version":
      return action.previous.status === "removed" ? "added" : "changed";
    case "remove":
      return "removed";
    case "reposition":
    case "none":
      return "unchanged";
  }
}

export function countChanges(
  actions: readonly EntryAction[],
  kind: CatalogueEntryKind,
): ChangeCounts {
  const counts: ChangeCounts = { added: 0, changed: 0, unchanged: 0, removed: 0 };
  for (const action of actions) {
    const entryKind = action.action === "remove" ? action.previous.kind : action.entry.kind;
    if (entryKind === kind) counts[changeOf(action)]++;
  }
  return counts;
}
