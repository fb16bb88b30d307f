import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CatalogueCommandOutput,
  runCatalogueImport,
  runCatalogueList,
} from "#cli/commands/catalogue";
import type { CatalogueListing } from "#shared/catalogue/listing";

const BIN = fileURLToPath(new URL("../../../bin/driftwatch.js", import.meta.url));
const EMBEDDED: NodeJS.ProcessEnv = {};

function collector(): CatalogueCommandOutput & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

describe("driftwatch catalogue import and list --from-store", () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-catalogue-state-"));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("round-trips: what import stores, list --from-store prints as the file lists it", async () => {
    // Prepare
    const imported = collector();
    const fromFile = collector();
    const fromStore = collector();

    // Act
    const importCode = await runCatalogueImport(undefined, { stateDir }, imported, EMBEDDED);
    await runCatalogueList({ json: true }, fromFile, EMBEDDED);
    const listCode = await runCatalogueList(
      { json: true, fromStore: true, stateDir },
      fromStore,
      EMBEDDED,
    );

    // Assess
    expect(importCode).toBe(0);
    expect(imported.out.join("")).toContain("endpoints: 78 added, 0 changed");
    expect(listCode).toBe(0);
    expect(fromStore.out.join("")).toBe(fromFile.out.join(""));
  });

  it("imports again without changing anything, across restarts of the state directory", async () => {
    const again = collector();
    const code = await runCatalogueImport(undefined, { stateDir, json: true }, again, EMBEDDED);
    const summary = JSON.parse(again.out.join(""));
    expect(code).toBe(0);
    expect(summary).toMatchObject({ added: 0, changed: 0, unchanged: 78, removed: 0 });
    expect(summary.changes).toEqual([]);
  });

  it("says so when the store holds no catalogue", async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), "driftwatch-catalogue-empty-"));
    try {
      const output = collector();
      const code = await runCatalogueList(
        { fromStore: true, stateDir: emptyDir },
        output,
        EMBEDDED,
      );
      expect(code).toBe(1);
      expect(output.err.join("")).toContain("run `driftwatch catalogue import` first");
    } finally {
      await rm(emptyDir, { recursive: true, force: true });
    }
  });

  it("refuses a table name without a region instead of guessing a target", async () => {
    const output = collector();
    const code = await runCatalogueImport(undefined, { stateDir }, output, {
      DRIFTWATCH_TABLE_NAME: "driftwatch",
    });
    expect(code).toBe(1);
    expect(output.err.join("")).toContain("AWS_REGION is not");
  });

  it("runs as `driftwatch catalogue list --json` through the bin script", async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, "catalogue", "list", "--json"],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const listing = JSON.parse(stdout) as CatalogueListing;

    // Assess
    expect(listing.catalogue.id).toBe("clearswift-seg-5.3");
    expect(listing.endpoints).toHaveLength(78);
  });
});
