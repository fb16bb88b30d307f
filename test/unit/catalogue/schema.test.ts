import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CatalogueReadError,
  CatalogueSyntaxError,
  CatalogueValidationError,
  DEFAULT_CATALOGUE_PATH,
  formatPath,
  loadCatalogueFile,
  parseCatalogue,
  validateCatalogue,
} from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

function problemsOf(input: unknown): string[] {
  const validation = validateCatalogue(input);
  if (validation.ok) return [];
  return validation.problems.map((p) => `${p.path}: ${p.message}`);
}

describe("catalogue validation", () => {
  let shipped: Catalogue;
  let dir: string;

  beforeAll(async () => {
    shipped = await loadCatalogueFile(DEFAULT_CATALOGUE_PATH);
    dir = await mkdtemp(join(tmpdir(), "driftwatch-catalogue-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts the shipped catalogue", () => {
    expect(problemsOf(shipped)).toEqual([]);
  });

  it("names a bad IP by its exact path and value", () => {
    // Prepare
    const broken = structuredClone(shipped) as { endpoints: { ips: string[] }[] };
    const endpoint = broken.endpoints[12];
    if (endpoint === undefined) throw new Error("fixture has fewer than 13 endpoints");
    endpoint.ips = ["185.155.104.256"];

    // Act
    const problems = problemsOf(broken);

    // Assess
    expect(problems).toEqual(['endpoints[12].ips[0]: "185.155.104.256" is not an IPv4 address']);
  });

  it("reports every problem at once, each at its own path", () => {
    // Prepare
    const broken = structuredClone(shipped) as unknown as Record<string, unknown> & {
      endpoints: Record<string, unknown>[];
      pools: Record<string, unknown>[];
    };
    Object.assign(broken.endpoints[2] ?? {}, { hostname: "Not A Host", policy: "pinnned" });
    delete broken.endpoints[5]?.purpose;
    Object.assign(broken.endpoints[6] ?? {}, { colour: "red" });
    Object.assign(broken.pools[0] ?? {}, {
      retiredIps: [{ ip: "184.72.245.1", retiredOn: "22/11/18" }],
    });

    // Act
    const problems = problemsOf(broken);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'endpoints[2].hostname: "Not A Host": must be a lower-case fully qualified hostname',
        expect.stringMatching(/^endpoints\[2\]\.policy: "pinnned": Invalid option/),
        "endpoints[5].purpose: is required (expected string)",
        "endpoints[6].colour: is not a known field",
        'pools[0].retiredIps[0].retiredOn: "22/11/18": must be YYYY-MM or YYYY-MM-DD',
      ]),
    );
  });

  it("rejects duplicate endpoint ids, unknown pools and a pool policy without a pool", () => {
    // Prepare
    const broken = structuredClone(shipped);
    const [first, second] = broken.endpoints;
    if (first === undefined || second === undefined) throw new Error("fixture too small");
    second.id = first.id;
    const pooled = broken.endpoints.find((e) => e.policy === "pool");
    if (pooled === undefined) throw new Error("fixture has no pooled endpoint");
    delete pooled.pool;
    const other = broken.endpoints[7];
    if (other === undefined) throw new Error("fixture too small");
    other.pool = "no-such-pool";

    // Act
    const problems = problemsOf(broken);

    // Assess
    const pooledAt = broken.endpoints.indexOf(pooled);
    expect(problems).toContain(`endpoints[1].id: duplicate endpoint id "${first.id}"`);
    expect(problems).toContain(`endpoints[${pooledAt}].pool: policy \`pool\` needs a pool`);
    expect(problems).toContain('endpoints[7].pool: unknown pool "no-such-pool"');
  });

  it("throws a named error whose message lists one problem per line", () => {
    // Prepare
    const broken = structuredClone(shipped) as { endpoints: { ips: string[] }[] };
    broken.endpoints[3] = { ...broken.endpoints[3], ips: ["10.0.0"] } as { ips: string[] };

    // Act
    const act = () => parseCatalogue(broken, "broken.json");

    // Assess
    expect(act).toThrow(CatalogueValidationError);
    expect(act).toThrow(
      'broken.json is not a valid catalogue (1 problem):\nendpoints[3].ips[0]: "10.0.0" is not an IPv4 address',
    );
  });

  it("names the file when it is not JSON", async () => {
    // Prepare
    const file = join(dir, "truncated.json");
    await writeFile(file, '{"schemaVersion": 1, "endpoints": [');

    // Act
    const loading = loadCatalogueFile(file);

    // Assess
    await expect(loading).rejects.toBeInstanceOf(CatalogueSyntaxError);
    await expect(loading).rejects.toThrow(`${file} is not valid JSON`);
  });

  it("names the file when it cannot be read", async () => {
    const file = join(dir, "missing.json");
    await expect(loadCatalogueFile(file)).rejects.toBeInstanceOf(CatalogueReadError);
    await expect(loadCatalogueFile(file)).rejects.toThrow(`cannot read catalogue ${file}`);
  });

  it("formats paths with indexes in brackets and the root as (root)", () => {
    expect(formatPath(["endpoints", 12, "ips", 0])).toBe("endpoints[12].ips[0]");
    expect(formatPath(["pools", 0, "provenance", "section"])).toBe("pools[0].provenance.section");
    expect(formatPath([])).toBe("(root)");
    expect(problemsOf("not a catalogue")).toEqual([
      '(root): "not a catalogue": Invalid input: expected object, received string',
    ]);
  });
});
