import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "#cli/main";
import type { CatalogueListing } from "#shared/catalogue/listing";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";

/** Runs `driftwatch <args>` in-process, capturing what it writes. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe("driftwatch catalogue (in-process)", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "driftwatch-cli-catalogue-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("validate: prints a one-line OK summary and exits 0 for the shipped catalogue", async () => {
    // Act
    const result = await run("catalogue", "validate", DEFAULT_CATALOGUE_PATH);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(result.stdout).toMatch(
      /^OK .*clearswift-seg-5\.3\.json: clearswift-seg-5\.3 \(reviewed\): 78 endpoints, 48 hostnames, 4 pools, 2 feeds/,
    );
  });

  it("validate: prints each problem at its path and exits 1 for a malformed catalogue", async () => {
    // Prepare
    const catalogue = JSON.parse(await readFile(DEFAULT_CATALOGUE_PATH, "utf8"));
    catalogue.endpoints[12].ips = ["185.155.104.256"];
    catalogue.pools[1].ips[3] = "52.57.119";
    const file = join(dir, "malformed.json");
    await writeFile(file, JSON.stringify(catalogue));

    // Act
    const result = await run("catalogue", "validate", file);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      `${file}: 2 problems`,
      'endpoints[12].ips[0]: "185.155.104.256" is not an IPv4 address',
      'pools[1].ips[3]: "52.57.119" is not an IPv4 address',
    ]);
  });

  it("validate: names the file when it is not JSON, and exits 1", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{ not json");
    const result = await run("catalogue", "validate", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`driftwatch: ${file} is not valid JSON`);
  });

  it("validate: says a gzipped file is compressed, and quotes a binary byte as an escape", async () => {
    // Prepare
    const binary = join(dir, "binary.json");
    await writeFile(binary, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x01, 0x7d]));

    // Act
    const gzipped = await run(
      "catalogue",
      "validate",
      "fixtures/feeds/cloudfront/list-cloudfront-ips.json.gz",
    );
    const withControl = await run("catalogue", "validate", binary);

    // Assess
    expect(gzipped.code).toBe(1);
    expect(gzipped.stderr).toBe(
      "driftwatch: fixtures/feeds/cloudfront/list-cloudfront-ips.json.gz is not valid JSON: the file is gzip-compressed; decompress it first (gunzip)\n",
    );
    expect(withControl.code).toBe(1);
    expect(withControl.stderr).toContain("Unexpected token '\\x01'");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(withControl.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it("list: --id without --from-store is refused, not ignored", async () => {
    const result = await run("catalogue", "list", "--id", "another");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "driftwatch: --id needs --from-store (a file holds one catalogue)\n",
    );
  });

  it("extract: names --out when the draft cannot be written there", async () => {
    const result = await run(
      "catalogue",
      "extract",
      "README.md",
      "--out",
      join(dir, "no", "such", "x.json"),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^driftwatch: cannot write --out .*x\.json: ENOENT/);
  });

  it("validate: exits 1 when the file does not exist", async () => {
    const result = await run("catalogue", "validate", join(dir, "absent.json"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read catalogue");
  });

  it("list --json: one JSON document with every endpoint's addresses, ports, group and policy", async () => {
    // Act
    const result = await run("catalogue", "list", "--json");
    const listing = JSON.parse(result.stdout) as CatalogueListing;

    // Assess
    expect(result.code).toBe(0);
    expect(listing.endpoints).toHaveLength(78);
    expect(listing.pools.map((p) => p.id)).toEqual([
      "av-update-mirrors",
      "sophos-sandbox",
      "spam-rule-updates",
      "trustmanager",
    ]);
    for (const key of [
      "hostname",
      "ips",
      "retiredIps",
      "ports",
      "protocol",
      "direction",
      "group",
      "policy",
    ]) {
      expect(listing.endpoints.every((e) => key in e)).toBe(true);
    }
    const mirror = listing.endpoints.find((e) => e.hostname === "sav-update-2.clearswift.net");
    expect(mirror).toMatchObject({
      group: "av-update-mirrors",
      policy: "pool",
      protocol: "tcp",
      direction: "out",
      ips: ["185.155.104.24", "70.33.161.213", "185.155.104.25", "70.33.161.214"],
    });
    expect(mirror?.retiredIps).toHaveLength(6);
    const license = listing.endpoints.find((e) => e.hostname === "applianceupdate.clearswift.com");
    expect(license?.retiredIps).toEqual([
      expect.objectContaining({ ip: "50.58.188.57", retiredOn: "2021-06" }),
    ]);
    expect(listing.counts).toMatchObject({ hostnames: 48, ipv4: 104, retiredIpv4: 7 });
  });

  it("list: prints a table for people with hostname, group, policy, ports and IPs", async () => {
    // Act
    const result = await run("catalogue", "list");
    const lines = result.stdout.split("\n");

    // Assess
    expect(result.code).toBe(0);
    expect(lines[0]).toMatch(/^HOSTNAME\s+SERVICE\s+GROUP\s+POLICY\s+PORTS\s+IPS$/);
    expect(lines.find((l) => l.startsWith("applianceupdate.clearswift.com"))).toMatch(
      /license-validation\s+pinned\s+tcp\/443 out\s+40\.113\.232\.243; retired 50\.58\.188\.57 \(2021-06\)/,
    );
    expect(lines.find((l) => l.startsWith("uk.sandbox.sophos.com"))).toContain(
      "pool sophos-sandbox (8)",
    );
  });

  it("list --catalogue: lists another catalogue file, and rejects an invalid one", async () => {
    const catalogue = JSON.parse(await readFile(DEFAULT_CATALOGUE_PATH, "utf8"));
    catalogue.endpoints = catalogue.endpoints.slice(0, 2);
    const file = join(dir, "small.json");
    await writeFile(file, JSON.stringify(catalogue));

    const small = await run("catalogue", "list", "--json", "--catalogue", file);
    catalogue.endpoints[0].policy = "sometimes";
    await writeFile(file, JSON.stringify(catalogue));
    const invalid = await run("catalogue", "list", "--catalogue", file);

    expect(JSON.parse(small.stdout).endpoints).toHaveLength(2);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('endpoints[0].policy: "sometimes": Invalid option');
  });

  it("extract: writes a draft that validates and is marked for review", async () => {
    // Prepare
    const doc = join(
      DEFAULT_CATALOGUE_PATH,
      "../../vendor-docs/northwind-mailshield-4.2-network-requirements.txt",
    );
    const out = join(dir, "northwind.json");

    // Act
    const extracted = await run("catalogue", "extract", doc, "--out", out, "--vendor", "Northwind");
    const validated = await run("catalogue", "validate", out);

    // Assess
    expect(extracted.code).toBe(0);
    expect(extracted.stdout).toContain("needs-review");
    expect(validated.code).toBe(0);
    const draft = JSON.parse(await readFile(out, "utf8"));
    expect(draft).toMatchObject({
      id: "northwind-mailshield-4.2-network-requirements",
      vendor: "Northwind",
      review: "needs-review",
    });
  });

  it("extract: prints the draft JSON on stdout without --out", async () => {
    const doc = join(
      DEFAULT_CATALOGUE_PATH,
      "../../vendor-docs/northwind-mailshield-4.2-network-requirements.txt",
    );
    const result = await run("catalogue", "extract", doc);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).endpoints.length).toBeGreaterThan(10);
    expect(result.stderr).toContain("review it before use");
  });

  it("extract: counts the facts flagged for review of a bullet-list document", async () => {
    // Prepare: the layout (port headings over bullet lists, URLs, host:port, a wildcard).
    const doc = join(DEFAULT_CATALOGUE_PATH, "../../vendor-docs/layouts/bullet-lists.txt");

    // Act
    const result = await run("catalogue", "extract", doc);

    // Assess
    expect(result.code).toBe(0);
    const draft = JSON.parse(result.stdout);
    expect(draft.reviewFlags).toHaveLength(2);
    expect(result.stderr).toContain("; 2 facts flagged for review (reviewFlags); review it");
    const wildcard = draft.endpoints.find(
      (e: { hostname: string }) => e.hostname === "*.apc.avira.com",
    );
    expect(wildcard).toMatchObject({ policy: "wildcard-domain" });
  });

  it("exits 1 on a missing argument", async () => {
    const result = await run("catalogue", "validate");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("missing required argument");
  });
});
