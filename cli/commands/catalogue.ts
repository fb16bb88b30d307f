import { readFile, writeFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { CommandOutput } from "#cli/options";
import { DEFAULT_STATE_DIR, openRuntime, RuntimeConfigError } from "#cli/runtime";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { assertUniqueGroups, CatalogueGroupClashError } from "#shared/catalogue/deployment-groups";
import { compareCatalogueFiles } from "#shared/catalogue/diff/compare-catalogue-files";
import { formatCatalogueDiff } from "#shared/catalogue/diff/format-catalogue-diff";
import {
  CatalogueExtractError,
  extractCatalogueDraft,
} from "#shared/catalogue/extract/extract-catalogue-draft";
import { describeCatalogue, formatCatalogueTable, listCatalogue } from "#shared/catalogue/listing";
import {
  CatalogueReadError,
  CatalogueSyntaxError,
  CatalogueValidationError,
  DEFAULT_CATALOGUE_PATH,
  formatProblems,
  loadCatalogueFile,
} from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  CatalogueImportConflictError,
  type CatalogueImportSummary,
  type CatalogueStore,
  StoredCatalogueCorruptError,
} from "#shared/catalogue/store";

/** The catalogue commands' name for the CLI's `CommandOutput`. */
export type CatalogueCommandOutput = CommandOutput;

const MAX_LISTED_CHANGES = 20;

/** A user-facing failure: its message goes to stderr and the command exits 1. */
class CatalogueCommandError extends Error {
  override readonly name = "CatalogueCommandError";
}

/** Errors whose message is meant for the user; anything else is a defect and propagates. */
const EXPECTED_ERRORS = [
  CatalogueCommandError,
  CatalogueReadError,
  CatalogueSyntaxError,
  CatalogueValidationError,
  CatalogueExtractError,
  CatalogueImportConflictError,
  CatalogueGroupClashError,
  StoredCatalogueCorruptError,
  RuntimeConfigError,
];

async function reportingErrors(
  output: CatalogueCommandOutput,
  run: () => Promise<number>,
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!EXPECTED_ERRORS.some((kind) => error instanceof kind)) throw error;
    output.stderr(`driftwatch: ${(error as Error).message}\n`);
    return 1;
  }
}

// ---------------------------------------------------------------------------------------------

export async function runCatalogueValidate(
  file: string,
  output: CatalogueCommandOutput,
): Promise<number> {
  return reportingErrors(output, async () => {
    let catalogue: Catalogue;
    try {
      catalogue = await loadCatalogueFile(file);
    } catch (error) {
      if (!(error instanceof CatalogueValidationError)) throw error;
      const count = error.problems.length;
      output.stderr(`${file}: ${count} ${count === 1 ? "problem" : "problems"}\n`);
      output.stderr(`${formatProblems(error.problems)}\n`);
      return 1;
    }
    output.stdout(`OK ${file}: ${describeCatalogue(listCatalogue(catalogue))}\n`);
    return 0;
  });
}

export interface CatalogueListOptions {
  json?: boolean;
  catalogue?: string;
  fromStore?: boolean;
  id?: string;
  stateDir?: string;
}

export async function runCatalogueList(
  options: CatalogueListOptions,
  output: CatalogueCommandOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return reportingErrors(output, async () => {
    if (options.fromStore && options.catalogue !== undefined) {
      throw new CatalogueCommandError("use either --catalogue FILE or --from-store, not both");
    }
    if (!options.fromStore && options.id !== undefined) {
      throw new CatalogueCommandError("--id needs --from-store (a file holds one catalogue)");
    }
    const catalogue = options.fromStore
      ? await withCatalogueStore(options.stateDir ?? DEFAULT_STATE_DIR, env, (store) =>
          loadFromStore(store, options.id),
        )
      : await loadCatalogueFile(options.catalogue ?? DEFAULT_CATALOGUE_PATH);
    const listing = listCatalogue(catalogue);
    output.stdout(
      options.json ? `${JSON.stringify(listing, null, 2)}\n` : formatCatalogueTable(listing),
    );
    return 0;
  });
}

async function loadFromStore(store: CatalogueStore, id: string | undefined): Promise<Catalogue> {
  let catalogueId = id;
  if (catalogueId === undefined) {
    const stored = await store.listCatalogues();
    if (stored.length === 0) {
      throw new CatalogueCommandError(
        "the store holds no catalogue: run `driftwatch catalogue import` first",
      );
    }
    if (stored.length > 1) {
      const ids = stored.map((c) => c.id).join(", ");
      throw new CatalogueCommandError(`the store holds several catalogues (${ids}): pass --id`);
    }
    catalogueId = stored[0]?.id;
  }
  const catalogue = catalogueId === undefined ? null : await store.loadCatalogue(catalogueId);
  if (catalogue === null) {
    throw new CatalogueCommandError(`the store holds no catalogue ${JSON.stringify(catalogueId)}`);
  }
  return catalogue;
}

export interface CatalogueExtractOptions {
  out?: string;
  vendor?: string;
  product?: string;
  id?: string;
  title?: string;
}

export async function runCatalogueExtract(
  file: string,
  options: CatalogueExtractOptions,
  output: CatalogueCommandOutput,
): Promise<number> {
  return reportingErrors(output, async () => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new CatalogueCommandError(
        `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const name = basename(file, extname(file));
    const draft = extractCatalogueDraft(text, {
      vendor: options.vendor ?? "unknown vendor",
      product: options.product ?? name,
      id: options.id ?? slugOf(name),
      ...(options.title !== undefined ? { title: options.title } : {}),
    });
    const json = `${JSON.stringify(draft, null, 2)}\n`;
    const flagged = draft.reviewFlags?.length ?? 0;
    const summary = `drafted ${describeCatalogue(listCatalogue(draft))}; ${draft.mentions?.length ?? 0} mentions; ${flagged} facts flagged for review (reviewFlags); review it before use\n`;
    if (options.out !== undefined) {
      await writeFile(options.out, json).catch((error: unknown) => {
        throw new CatalogueCommandError(
          `cannot write --out ${options.out}: ${error instanceof Error ? error.message : error}`,
          { cause: error },
        );
      });
      output.stdout(`${options.out}: ${summary}`);
    } else {
      output.stdout(json);
      output.stderr(summary);
    }
    return 0;
  });
}

function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return slug === "" ? "draft" : slug;
}

export interface CatalogueDiffOptions {
  json?: boolean;
}

/** `driftwatch catalogue diff OLD NEW`: what changed between two catalogues; exit 1 on a bad file. */
export async function runCatalogueDiff(
  oldFile: string,
  newFile: string,
  options: CatalogueDiffOptions,
  output: CatalogueCommandOutput,
): Promise<number> {
  return reportingErrors(output, async () => {
    const diff = await compareCatalogueFiles(oldFile, newFile);
    output.stdout(options.json ? `${JSON.stringify(diff, null, 2)}\n` : formatCatalogueDiff(diff));
    return 0;
  });
}

export interface CatalogueImportOptions {
  stateDir?: string;
  json?: boolean;
}

/**
 * `driftwatch catalogue import [FILE...]`: imports one or several catalogues into the store.
 *
 * 1. Read and validate every file (the shipped catalogue when none is given); a catalogue id
 *    given twice is an error.
 * 2. Check the deployment-wide group rule over the store's other catalogues and these
 *    (deployment-groups.ts): a group name two catalogues share is an error naming the group and
 *    both catalogues, and nothing is imported.
 * 3. Import each catalogue in the order given (each import is idempotent).
 */
export async function runCatalogueImport(
  files: string | readonly string[] | undefined,
  options: CatalogueImportOptions,
  output: CatalogueCommandOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
): Promise<number> {
  return reportingErrors(output, async () => {
    const paths =
      typeof files === "string" ? [files] : files?.length ? files : [DEFAULT_CATALOGUE_PATH];
    const catalogues = await loadImportedCatalogues(paths);
    const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    const { summaries, where } = await withCatalogueStore(stateDir, env, async (store, where) => {
      await assertDeploymentGroups(store, catalogues);
      const summaries: CatalogueImportSummary[] = [];
      for (const catalogue of catalogues) {
        summaries.push(await store.importCatalogue(catalogue, now()));
      }
      return { summaries, where };
    });
    if (options.json) {
      // One catalogue: its summary, as before; several: the list, in the order given.
      const json = summaries.length === 1 ? summaries[0] : summaries;
      output.stdout(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      output.stdout(summaries.map((summary) => formatImportSummary(summary, where)).join(""));
    }
    return 0;
  });
}

/** Step 1: every file read and validated before anything is written; an id given twice refused. */
async function loadImportedCatalogues(paths: readonly string[]): Promise<Catalogue[]> {
  const catalogues: Catalogue[] = [];
  const fileOf = new Map<string, string>();
  for (const path of paths) {
    const catalogue = await loadCatalogueFile(path);
    const earlier = fileOf.get(catalogue.id);
    if (earlier !== undefined) {
      throw new CatalogueCommandError(
        `${earlier} and ${path} are both catalogue ${catalogue.id}: import one of them`,
      );
    }
    fileOf.set(catalogue.id, path);
    catalogues.push(catalogue);
  }
  return catalogues;
}

/** Step 2: the store's other catalogues first, then the imported ones, in the order given. */
async function assertDeploymentGroups(
  store: CatalogueStore,
  imported: readonly Catalogue[],
): Promise<void> {
  const importedIds = new Set(imported.map((catalogue) => catalogue.id));
  const others: Catalogue[] = [];
  for (const stored of await store.listCatalogues()) {
    if (importedIds.has(stored.id)) continue;
    const catalogue = await store.loadCatalogue(stored.id);
    if (catalogue !== null) others.push(catalogue);
  }
  assertUniqueGroups([...others, ...imported]);
}

export function formatImportSummary(summary: CatalogueImportSummary, where: string): string {
  const counts = (c: { added: number; changed: number; unchanged: number; removed: number }) =>
    `${c.added} added, ${c.changed} changed, ${c.unchanged} unchanged, ${c.removed} removed`;
  const lines = [
    `imported ${summary.catalogueId} into ${where}`,
    `  endpoints: ${counts(summary)}`,
    `  pools:     ${counts(summary.pools)}`,
    `  header:    ${summary.header}`,
  ];
  const changes = summary.changes.filter((c) => c.kind !== "header");
  for (const c of changes.slice(0, MAX_LISTED_CHANGES)) {
    lines.push(`  ${c.change} ${c.kind} ${c.entryId} (version ${c.version})`);
  }
  if (changes.length > MAX_LISTED_CHANGES) {
    lines.push(`  ... and ${changes.length - MAX_LISTED_CHANGES} more (--json lists them all)`);
  }
  return `${lines.join("\n")}\n`;
}

/** Runs `work` against the catalogue store wherever `openRuntime` points (embedded or AWS). */
async function withCatalogueStore<T>(
  stateDir: string,
  env: NodeJS.ProcessEnv,
  work: (store: CatalogueStore, where: string) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime({ stateDir, env });
  try {
    const store = createDynamoDbCatalogueStore({
      documents: runtime.clients.documents,
      tableName: runtime.tableName,
    });
    return await work(store, runtime.where);
  } finally {
    await runtime.close();
  }
}
