import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCatalogueGenerate } from "#cli/commands/catalogue-generate";
import { parseZone } from "#shared/adapters/local/zone-dns-server/zone";
import { loadCatalogueFile } from "#shared/catalogue/load";

function capture() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    output: {
      stdout: (text: string) => {
        out.stdout += text;
      },
      stderr: (text: string) => {
        out.stderr += text;
      },
    },
  };
}

describe("driftwatch catalogue generate", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "driftwatch-generate-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a loadable catalogue and both zones into --out, the same again for the same seed", async () => {
    // Prepare
    const { out, output } = capture();
    const first = join(dir, "first");
    const second = join(dir, "nested", "second");
    // Act
    const code = await runCatalogueGenerate({ hosts: 50, out: first, seed: 3 }, output);
    await runCatalogueGenerate({ hosts: 50, out: second, seed: 3 }, capture().output);
    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toContain("generated generated-50-seed-3: 50 hostnames (16 pinned, 11 pool");
    expect(out.stdout).toContain(join(first, "nsd-root.zone"));
    const catalogue = await loadCatalogueFile(join(first, "catalogue.json"));
    expect(catalogue.endpoints).toHaveLength(50);
    const zone = parseZone(await readFile(join(first, "loopback.zone"), "utf8"));
    for (const endpoint of catalogue.endpoints) {
      expect(zone.names.has(endpoint.hostname ?? "")).toBe(true);
    }
    for (const file of ["catalogue.json", "loopback.zone", "nsd-root.zone"]) {
      expect(await readFile(join(second, file), "utf8")).toBe(
        await readFile(join(first, file), "utf8"),
      );
    }
  });

  it("exits 1 naming --out when the directory cannot be written", async () => {
    // Prepare
    const { out, output } = capture();
    // Act
    const code = await runCatalogueGenerate(
      { hosts: 10, out: "/proc/driftwatch-no", seed: 1 },
      output,
    );
    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toBe(
      "driftwatch: --out /proc/driftwatch-no: cannot create or write to /proc/driftwatch-no\n",
    );
  });

  it("exits 1 naming --hosts past the largest estate", async () => {
    // Prepare
    const { out, output } = capture();
    // Act
    const code = await runCatalogueGenerate({ hosts: 100_001, out: dir, seed: 1 }, output);
    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toContain("--hosts: hosts must be a whole number from 1 to 100000");
  });
});
