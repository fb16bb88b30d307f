import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  assembleCatalogue,
  type CatalogueEntry,
  catalogueEntries,
  contentHash,
  countChanges,
  planCatalogueImport,
  type StoredEntryState,
} from "#shared/catalogue/versioning";

/** What a store holds after importing `catalogue` once. */
function storedAfterImport(catalogue: Catalogue): StoredEntryState[] {
  return catalogueEntries(catalogue).map((entry) => ({
    kind: entry.kind,
    entryId: entry.entryId,
    version: 1,
    contentHash: entry.contentHash,
    status: "active",
    position: entry.position,
  }));
}

describe("catalogue import planning", () => {
  let catalogue: Catalogue;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile();
  });

  it("hashes content, not key order", () => {
    expect(contentHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      contentHash({ b: [1, { d: 3, c: 2 }], a: 1 }),
    );
    expect(contentHash({ a: 1, b: undefined })).toBe(contentHash({ a: 1 }));
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
  });

  it("keeps the stored hash format: sha256 (hex) of JSON with sorted keys and no white space", () => {
    // sha256 of '{"a":[1,{"c":3,"d":2}],"b":"x"}': stored entries compare against this format
    expect(contentHash({ b: "x", a: [1, { d: 2, c: 3 }], z: undefined })).toBe(
      "493dfafcb63f097aaa7446279e89485dc52ced3f12f991a4bca47e39b572b076",
    );
  });

  it("splits a catalogue into a header, pools and endpoints that reassemble to the same catalogue", () => {
    // Act
    const entries = catalogueEntries(catalogue);
    const header = entries.find((e) => e.kind === "header");
    const pick = <K extends CatalogueEntry["kind"]>(kind: K) =>
      entries.filter((e): e is Extract<CatalogueEntry, { kind: K }> => e.kind === kind).reverse();

    // Assess
    expect(entries).toHaveLength(1 + 4 + 78);
    expect(header?.body).not.toHaveProperty("endpoints");
    if (header?.kind !== "header") throw new Error("no header entry");
    expect(assembleCatalogue(header.body, pick("pool"), pick("endpoint"))).toEqual(catalogue);
  });

  it("creates every entry of a new catalogue", () => {
    const plan = planCatalogueImport(catalogue, []);
    expect(plan.actions.every((a) => a.action === "create")).toBe(true);
    expect(countChanges(plan.actions, "endpoint")).toEqual({
      added: 78,
      changed: 0,
      unchanged: 0,
      removed: 0,
    });
    expect(plan.actions.at(-1)).toMatchObject({ entry: { kind: "header" } });
  });

  it("plans nothing for a catalogue imported unchanged", () => {
    const plan = planCatalogueImport(catalogue, storedAfterImport(catalogue));
    expect(plan.actions.every((a) => a.action === "none")).toBe(true);
  });

  it("plans a new version for a changed endpoint and a removal for a missing one", () => {
    // Prepare
    const stored = storedAfterImport(catalogue);
    const next = structuredClone(catalogue);
    const [changed, removed] = [next.endpoints[2], next.endpoints[3]];
    if (changed === undefined || removed === undefined) throw new Error("fixture too small");
    changed.ips = ["3.10.94.194"];
    next.endpoints.splice(3, 1);

    // Act
    const plan = planCatalogueImport(next, stored);

    // Assess
    const acted = plan.actions.filter((a) => a.action !== "none");
    expect(
      acted.map((a) => [a.action, a.action === "remove" ? a.previous.entryId : a.entry.entryId]),
    ).toEqual([
      ["new-version", changed.id],
      // Endpoints after the removed one moved up: same content, new position.
      ...next.endpoints.slice(3).map((e) => ["reposition", e.id]),
      ["remove", removed.id],
    ]);
    expect(countChanges(plan.actions, "endpoint")).toEqual({
      added: 0,
      changed: 1,
      unchanged: 76,
      removed: 1,
    });
  });

  it("reactivates a removed entry that comes back with the same content", () => {
    // Prepare
    const stored = storedAfterImport(catalogue).map((s) =>
      s.entryId === catalogue.endpoints[0]?.id ? { ...s, status: "removed" as const } : s,
    );

    // Act
    const plan = planCatalogueImport(catalogue, stored);

    // Assess
    expect(plan.actions.filter((a) => a.action !== "none")).toEqual([
      expect.objectContaining({ action: "reactivate" }),
    ]);
    expect(countChanges(plan.actions, "endpoint").added).toBe(1);
  });
});
