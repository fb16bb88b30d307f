import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { catalogueKeys } from "#shared/adapters/dynamodb/catalogue-store/catalogue-keys";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { CatalogueImportConflictError } from "#shared/catalogue/store";
import { contentHash } from "#shared/catalogue/versioning";
import { startTestStack } from "#test/helpers/stack";

const LICENSE_ID = "license-key-validation/applianceupdate.clearswift.com";

function withCatalogueId(catalogue: Catalogue, id: string): Catalogue {
  return structuredClone({ ...catalogue, id });
}

function withLicenseIp(catalogue: Catalogue, ip: string): Catalogue {
  const copy = structuredClone(catalogue);
  const endpoint = copy.endpoints.find((e) => e.id === LICENSE_ID);
  if (endpoint === undefined) throw new Error("fixture lost the license endpoint");
  endpoint.ips = [ip];
  return copy;
}

describe("DynamoDB catalogue store", () => {
  let stack: EmbeddedStack;
  let store: DynamoDbCatalogueStore;
  let shipped: Catalogue;

  beforeAll(async () => {
    stack = await startTestStack();
    store = new DynamoDbCatalogueStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    shipped = await loadCatalogueFile();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("round-trips the shipped catalogue: what is imported loads back equal", async () => {
    // Prepare
    const catalogue = withCatalogueId(shipped, "round-trip");

    // Act
    const summary = await store.importCatalogue(catalogue, new Date("2026-01-01T00:00:00Z"));
    const loaded = await store.loadCatalogue("round-trip");
    const listed = await store.listCatalogues();

    // Assess
    expect(summary).toMatchObject({ added: 78, changed: 0, unchanged: 0, removed: 0 });
    expect(summary.pools).toEqual({ added: 4, changed: 0, unchanged: 0, removed: 0 });
    expect(summary.header).toBe("added");
    expect(loaded).toEqual(catalogue);
    expect(listed.find((c) => c.id === "round-trip")).toMatchObject({
      vendor: "Clearswift",
      endpointCount: 78,
      poolCount: 4,
      firstImportedAt: "2026-01-01T00:00:00.000Z",
    });
  });

  it("changes nothing when the same catalogue is imported again", async () => {
    // Prepare
    const catalogue = withCatalogueId(shipped, "reimport");
    await store.importCatalogue(catalogue, new Date("2026-01-01T00:00:00Z"));

    // Act
    const again = await store.importCatalogue(catalogue, new Date("2026-02-01T00:00:00Z"));

    // Assess
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 78, removed: 0 });
    expect(again.pools).toEqual({ added: 0, changed: 0, unchanged: 4, removed: 0 });
    expect(again.header).toBe("unchanged");
    expect(again.changes).toEqual([]);
    const summary = (await store.listCatalogues()).find((c) => c.id === "reimport");
    expect(summary?.lastChangedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(await store.listEntryVersions("reimport", "endpoint", LICENSE_ID)).toHaveLength(1);
  });

  it("gives a changed endpoint a new version and keeps the old one", async () => {
    // Prepare
    const original = withCatalogueId(shipped, "changed");
    await store.importCatalogue(original, new Date("2026-01-01T00:00:00Z"));
    const changed = withLicenseIp(original, "40.113.232.244");

    // Act
    const summary = await store.importCatalogue(changed, new Date("2026-03-01T00:00:00Z"));

    // Assess
    expect(summary).toMatchObject({ added: 0, changed: 1, unchanged: 77, removed: 0 });
    expect(summary.changes).toEqual([
      { kind: "endpoint", entryId: LICENSE_ID, change: "changed", version: 2 },
    ]);
    const versions = await store.listEntryVersions("changed", "endpoint", LICENSE_ID);
    expect(versions.map((v) => [v.version, (v.body as { ips: string[] }).ips])).toEqual([
      [1, ["40.113.232.243"]],
      [2, ["40.113.232.244"]],
    ]);
    expect(versions[1]?.importedAt).toBe("2026-03-01T00:00:00.000Z");
    const loaded = await store.loadCatalogue("changed");
    expect(loaded?.endpoints.find((e) => e.id === LICENSE_ID)?.ips).toEqual(["40.113.232.244"]);
  });

  it("marks an endpoint missing from the file as removed, and restores it when it returns", async () => {
    // Prepare
    const full = withCatalogueId(shipped, "removed");
    await store.importCatalogue(full, new Date("2026-01-01T00:00:00Z"));
    const without = { ...full, endpoints: full.endpoints.filter((e) => e.id !== LICENSE_ID) };

    // Act
    const removal = await store.importCatalogue(without, new Date("2026-02-01T00:00:00Z"));
    const afterRemoval = await store.loadCatalogue("removed");
    const states = await store.listEntries("removed");
    const restore = await store.importCatalogue(full, new Date("2026-03-01T00:00:00Z"));

    // Assess
    expect(removal).toMatchObject({ added: 0, changed: 0, removed: 1 });
    expect(afterRemoval?.endpoints.map((e) => e.id)).not.toContain(LICENSE_ID);
    expect(states.find((s) => s.entryId === LICENSE_ID)).toMatchObject({
      status: "removed",
      version: 1,
    });
    expect(restore).toMatchObject({ added: 1, changed: 0, removed: 0 });
    expect(await store.loadCatalogue("removed")).toEqual(full);
  });

  it("completes an import that was interrupted after writing a version item", async () => {
    // Prepare: a crashed import left version 2 behind without moving the current item.
    const original = withCatalogueId(shipped, "interrupted");
    await store.importCatalogue(original, new Date("2026-01-01T00:00:00Z"));
    const changed = withLicenseIp(original, "40.113.232.245");
    const endpoint = changed.endpoints.find((e) => e.id === LICENSE_ID);
    await stack.clients.documents.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          pk: catalogueKeys.pk("interrupted"),
          sk: catalogueKeys.version("endpoint", LICENSE_ID, 2),
          kind: "catalogue-entry-version",
          entryKind: "endpoint",
          entryId: LICENSE_ID,
          version: 2,
          contentHash: contentHash(endpoint),
          importedAt: "2026-02-01T00:00:00.000Z",
          body: endpoint,
        },
      }),
    );

    // Act
    const summary = await store.importCatalogue(changed, new Date("2026-02-01T00:00:01Z"));

    // Assess
    expect(summary).toMatchObject({ changed: 1 });
    expect(await store.loadCatalogue("interrupted")).toEqual(changed);
    expect(await store.listEntryVersions("interrupted", "endpoint", LICENSE_ID)).toHaveLength(2);
  });

  it("fails with a conflict, losing no version, when another import wins the race", async () => {
    // Prepare: a client that lets a rival import run right after this import read the state.
    const original = withCatalogueId(shipped, "raced");
    await store.importCatalogue(original, new Date("2026-01-01T00:00:00Z"));
    const racing = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: stack.region,
        endpoint: stack.dynamodbEndpoint,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
    );
    let rivalRan = false;
    racing.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "QueryCommand" && !rivalRan) {
          rivalRan = true;
          await store.importCatalogue(
            withLicenseIp(original, "40.113.232.250"),
            new Date("2026-02-01T00:00:00Z"),
          );
        }
        return result;
      },
      { step: "initialize", name: "rivalImport" },
    );
    const slow = new DynamoDbCatalogueStore({ documents: racing, tableName: stack.tableName });

    try {
      // Act
      const losing = slow.importCatalogue(
        withLicenseIp(original, "40.113.232.251"),
        new Date("2026-02-01T00:00:01Z"),
      );

      // Assess
      await expect(losing).rejects.toBeInstanceOf(CatalogueImportConflictError);
      const versions = await store.listEntryVersions("raced", "endpoint", LICENSE_ID);
      expect(versions.map((v) => (v.body as { ips: string[] }).ips[0])).toEqual([
        "40.113.232.243",
        "40.113.232.250",
      ]);
    } finally {
      racing.destroy();
    }
  });

  it("returns null for a catalogue that was never imported", async () => {
    expect(await store.loadCatalogue("never-imported")).toBeNull();
  });
});
