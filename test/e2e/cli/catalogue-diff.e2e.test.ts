import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogueDiff } from "#shared/catalogue/diff/diff-catalogues";
import { DEFAULT_CATALOGUE_PATH, loadCatalogueFile } from "#shared/catalogue/load";
import { revisedCatalogue } from "#test/helpers/catalogue-revision";
import { type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";

/** `driftwatch catalogue diff OLD NEW` as a user runs it: the built CLI in a child process. */
function driftwatch(...args: string[]): Promise<CliRun> {
  return spawnDriftwatch(args).exited;
}

describe("driftwatch catalogue diff (built CLI)", () => {
  let dir: string;
  let revised: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "driftwatch-catalogue-diff-"));
    revised = join(dir, "issue-3.7.json");
    const catalogue = revisedCatalogue(await loadCatalogueFile());
    await writeFile(revised, JSON.stringify(catalogue, null, 2));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints what a revision changed as a table and exits 0", async () => {
    // Act
    const run = await driftwatch("catalogue", "diff", DEFAULT_CATALOGUE_PATH, revised);

    // Assess
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toContain("issue 3.6 (2021-07) → clearswift-seg-5.3 issue 3.7 (2021-09)");
    expect(lines[1]).toMatch(/^hosts: 1 added, 1 removed, 15 changed, \d+ unchanged$/);
    expect(run.stdout).toMatch(/^added\s+\*\.apc\.avira\.com\s+wildcard-domain; tcp\/443\/out$/m);
    expect(run.stdout).toMatch(/^removed\s+ra\.swisssign\.net\s/m);
    expect(run.stdout).toMatch(
      /^ips\s+applianceupdate\.clearswift\.com\s+\+40\.113\.232\.250 -40\.113\.232\.243$/m,
    );
    expect(run.stdout).toMatch(/^policy\s+www\.clearswift\.com\s+pinned → hostname-only$/m);
  });

  it("prints one JSON document with --json", async () => {
    // Act
    const run = await driftwatch("catalogue", "diff", DEFAULT_CATALOGUE_PATH, revised, "--json");

    // Assess
    expect(run.code).toBe(0);
    const diff = JSON.parse(run.stdout) as CatalogueDiff;
    expect(diff.added.map((h) => h.host)).toEqual(["*.apc.avira.com"]);
    expect(diff.removed.map((h) => h.host)).toEqual(["ra.swisssign.net"]);
    expect(diff.changed.find((c) => c.host === "0.rhel.pool.ntp.org")?.ports.added).toEqual([
      "tcp/123/out",
    ]);
  });

  it("names the file it cannot read, that is not JSON, or that is not a catalogue; exit 1", async () => {
    // Prepare
    const missing = join(dir, "missing.json");
    const notJson = join(dir, "not-json.json");
    const invalid = join(dir, "invalid.json");
    await writeFile(notJson, "{ endpoints: ");
    await writeFile(invalid, JSON.stringify({ schemaVersion: 1, id: "x" }));

    // Act
    const runs = await Promise.all(
      [missing, notJson, invalid].map((file) =>
        driftwatch("catalogue", "diff", DEFAULT_CATALOGUE_PATH, file),
      ),
    );

    // Assess
    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(runs.map((r) => r.stdout)).toEqual(["", "", ""]);
    expect(runs[0]?.stderr).toContain(`cannot read catalogue ${missing}: ENOENT`);
    expect(runs[1]?.stderr).toContain(`${notJson} is not valid JSON`);
    expect(runs[2]?.stderr).toContain(`${invalid} is not a valid catalogue`);
    expect(runs[2]?.stderr).toContain("vendor: is required");
  });
});
