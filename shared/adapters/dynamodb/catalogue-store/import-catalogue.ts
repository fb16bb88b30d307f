import { parseCatalogue } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { CatalogueImportSummary } from "#shared/catalogue/store";
import {
  type CatalogueEntryKind,
  changeOf,
  countChanges,
  type EntryAction,
  planCatalogueImport,
} from "#shared/catalogue/versioning";
import { applyEntryAction, applyHeaderAction } from "./apply-entry-action";
import { listEntries } from "./catalogue-reads";
import type { CatalogueTable } from "./catalogue-table";

/**
 * Imports a catalogue idempotently, without transactions. Primary course:
 * 1. validate it and read the stored state of its entries (one query);
 * 2. plan per entry by content hash (`planCatalogueImport`);
 * 3. write pools, then endpoints, then pool removals, a few at once;
 * 4. write the header last, only when anything changed (its presence means complete);
 * 5. summarise what changed, with the version now current of each entry written.
 */
export async function importCatalogue(
  table: CatalogueTable,
  catalogue: Catalogue,
  now: Date,
): Promise<CatalogueImportSummary> {
  const checked = parseCatalogue(catalogue, `catalogue ${catalogue.id}`);
  const at = now.toISOString();
  const plan = planCatalogueImport(checked, await listEntries(table, checked.id));
  const writes = plan.actions.filter((a) => a.action !== "none");
  const entryWrites = writes.filter((a) => !isHeaderAction(a));
  const versions = new Map<string, number>();

  const pools = entryWrites.filter((a) => kindOf(a) === "pool" && a.action !== "remove");
  const endpoints = entryWrites.filter((a) => kindOf(a) === "endpoint");
  const poolRemovals = entryWrites.filter((a) => kindOf(a) === "pool" && a.action === "remove");
  for (const batch of [pools, endpoints, poolRemovals]) {
    await inParallel(batch, table.concurrency, async (action) => {
      versions.set(keyOf(action), await applyEntryAction(table, checked.id, action, at));
    });
  }

  const headerAction = plan.actions.find(isHeaderAction);
  if (headerAction === undefined) throw new Error("import plan without a header entry");
  if (writes.length > 0) {
    versions.set(keyOf(headerAction), await applyHeaderAction(table, checked, headerAction, at));
  }
  return {
    catalogueId: checked.id,
    ...countChanges(plan.actions, "endpoint"),
    pools: countChanges(plan.actions, "pool"),
    header: changeOf(headerAction),
    changes: writes
      .filter((a) => a.action !== "reposition")
      .map((action) => ({
        kind: kindOf(action),
        entryId: action.action === "remove" ? action.previous.entryId : action.entry.entryId,
        change: changeOf(action),
        version: versions.get(keyOf(action)) ?? 0,
      })),
  };
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

/** Runs `work` over `items`, at most `concurrency` at once. */
async function inParallel<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
