import { beforeAll, describe, expect, it } from "vitest";
import { compareCatalogueFiles } from "#shared/catalogue/diff/compare-catalogue-files";
import { diffCatalogues, hasChanges } from "#shared/catalogue/diff/diff-catalogues";
import { formatCatalogueDiff } from "#shared/catalogue/diff/format-catalogue-diff";
import { CatalogueReadError, loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { revisedCatalogue } from "#test/helpers/catalogue-revision";

const AV_MIRRORS = [
  "aav-update-1.clearswift.net",
  "aav-update-2.clearswift.net",
  "aav-update-3.clearswift.net",
  "aav-update-4.clearswift.net",
  "kav-update-8-1.clearswift.net",
  "kav-update-8-2.clearswift.net",
  "kav-update-8-3.clearswift.net",
  "kav-update-8-4.clearswift.net",
  "sav-update-1.clearswift.net",
  "sav-update-2.clearswift.net",
  "sav-update-3.clearswift.net",
  "sav-update-4.clearswift.net",
];

describe("catalogue diff", () => {
  let shipped: Catalogue;
  beforeAll(async () => {
    shipped = await loadCatalogueFile();
  });

  it("finds nothing between a catalogue and itself", () => {
    // Act
    const diff = diffCatalogues(shipped, structuredClone(shipped));

    // Assess
    expect(hasChanges(diff)).toBe(false);
    expect(diff.unchanged).toBe(new Set(shipped.endpoints.map((e) => e.hostname ?? e.id)).size);
    expect(formatCatalogueDiff(diff)).toContain("\nno change\n");
  });

  it("reports hosts added and removed, and each host's IPs, ranges, ports and policy", () => {
    // Act
    const diff = diffCatalogues(shipped, revisedCatalogue(shipped));

    // Assess
    expect(diff.old.issue).toBe("3.6");
    expect(diff.new.issue).toBe("3.7");
    expect(diff.added).toEqual([
      {
        host: "*.apc.avira.com",
        groups: ["avira-apc"],
        policies: ["wildcard-domain"],
        ports: ["tcp/443/out"],
        ips: [],
        ranges: [],
      },
    ]);
    expect(diff.removed.map((h) => [h.host, h.policies])).toEqual([
      ["ra.swisssign.net", ["hostname-only"]],
    ]);
    const changed = new Map(diff.changed.map((c) => [c.host, c]));
    expect([...changed.keys()].sort()).toEqual(
      [
        ...AV_MIRRORS,
        "0.rhel.pool.ntp.org",
        "applianceupdate.clearswift.com",
        "www.clearswift.com",
      ].sort(),
    );
    expect(changed.get("applianceupdate.clearswift.com")?.ips).toEqual({
      added: ["40.113.232.250"],
      removed: ["40.113.232.243"],
    });
    expect(changed.get("0.rhel.pool.ntp.org")?.ports).toEqual({
      added: ["tcp/123/out"],
      removed: [],
    });
    for (const mirror of AV_MIRRORS) {
      expect(changed.get(mirror)).toMatchObject({
        ips: { added: ["2001:db8::24"], removed: [] },
        ranges: { added: ["2001:db8:100::/48"], removed: [] },
      });
      expect(changed.get(mirror)?.policy).toBeUndefined();
    }
    expect(changed.get("www.clearswift.com")).toMatchObject({
      policy: { from: ["pinned"], to: ["hostname-only"] },
      ips: { added: [], removed: ["23.185.0.1"] },
    });
    const hosts = new Set(shipped.endpoints.map((e) => e.hostname ?? e.id)).size;
    expect(diff.unchanged).toBe(hosts - 1 - changed.size);
  });

  it("prints one row per host added or removed and per kind of change", () => {
    // Act
    const text = formatCatalogueDiff(diffCatalogues(shipped, revisedCatalogue(shipped)));
    const lines = text.split("\n");

    // Assess
    expect(lines[0]).toBe(
      "catalogue diff: clearswift-seg-5.3 issue 3.6 (2021-07) → clearswift-seg-5.3 issue 3.7 (2021-09)",
    );
    expect(lines[1]).toMatch(/^hosts: 1 added, 1 removed, 15 changed, \d+ unchanged$/);
    expect(lines[3]).toMatch(/^CHANGE\s+HOST\s+WHAT$/);
    const rows = lines.slice(4).map((line) => line.split(/\s{2,}/));
    expect(rows).toContainEqual(["added", "*.apc.avira.com", "wildcard-domain; tcp/443/out"]);
    expect(rows).toContainEqual(["removed", "ra.swisssign.net", "hostname-only; tcp/443/out"]);
    expect(rows).toContainEqual([
      "ips",
      "applianceupdate.clearswift.com",
      "+40.113.232.250 -40.113.232.243",
    ]);
    expect(rows).toContainEqual(["ports", "0.rhel.pool.ntp.org", "+tcp/123/out"]);
    expect(rows).toContainEqual(["policy", "www.clearswift.com", "pinned → hostname-only"]);
    expect(rows).toContainEqual(["ranges", "sav-update-4.clearswift.net", "+2001:db8:100::/48"]);
  });

  it("compares two files through the loader, and passes on an error naming the file", async () => {
    // Prepare
    const files: Record<string, Catalogue> = { "old.json": shipped };
    const load = async (path: string) => {
      const catalogue = files[path];
      if (catalogue === undefined) {
        throw new CatalogueReadError(path, { cause: new Error("ENOENT: no such file") });
      }
      return catalogue;
    };

    // Act
    const same = await compareCatalogueFiles("old.json", "old.json", load);
    const missing = compareCatalogueFiles("old.json", "new.json", load);

    // Assess
    expect(hasChanges(same)).toBe(false);
    await expect(missing).rejects.toThrow("cannot read catalogue new.json: ENOENT");
  });
});
