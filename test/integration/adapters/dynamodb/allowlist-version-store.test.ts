import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoAllowlistVersionStore } from "#shared/adapters/dynamodb/allowlist-version-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import {
  type AllowlistEndpoint,
  type GroupAllowlist,
  groupAllowlist,
} from "#shared/allowlists/build";
import type { AllowlistVersionStore } from "#shared/record/allowlist-versions/ports";
import {
  stageAllowlistChanges,
  versionAllowlistChanges,
} from "#shared/record/allowlist-versions/version-allowlists";
import { startTestStack } from "#test/helpers/stack";

/**
 * The DynamoDB allowlist-version store (TABLE.md, "Allowlist versions") on dynalite, driven by
 * the versioning use case as `recordDrift` drives it: stage, (rewrite), version.
 */

let stack: EmbeddedStack;
let catalogueCount = 0;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
});

function endpoint(id: string, addresses: string[]): AllowlistEndpoint {
  return {
    id,
    hostname: `${id}.example.com`,
    policy: "hostname-only",
    ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    addresses,
  };
}

/** A fresh catalogue (its own partition), the real store and bucket, and one cycle's steps. */
function harness(wrap: (store: AllowlistVersionStore) => AllowlistVersionStore = (s) => s) {
  catalogueCount += 1;
  const catalogueId = `versions-test-${catalogueCount}`;
  const store = createDynamoAllowlistVersionStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  });
  const objects = createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName });
  const list = (group: string, ...endpoints: AllowlistEndpoint[]): GroupAllowlist =>
    groupAllowlist(catalogueId, group, endpoints);
  async function cycle(
    allowlists: GroupAllowlist[],
    runId: string,
    at: string,
    versions: AllowlistVersionStore = wrap(store),
  ) {
    const deps = { versions, objects };
    const now = new Date(at);
    const read = await stageAllowlistChanges(deps, {
      catalogueId,
      allowlists,
      runId,
      eventIdsByGroup: new Map(allowlists.map((a) => [a.group, [`${runId}/${a.group}`]])),
      now,
    });
    return versionAllowlistChanges(deps, { catalogueId, allowlists, read, now });
  }
  const since = (n: number, limit = 100) =>
    store
      .getVersion(catalogueId)
      .then((v) =>
        store.changesBetween(catalogueId, { since: n, through: v?.version ?? 0, limit }),
      );
  return { catalogueId, store, list, cycle, since };
}

/** The store, with `advanceVersion` failing as if the process died right after the change put. */
function crashingAdvance(store: AllowlistVersionStore, times = 1): AllowlistVersionStore {
  let left = times;
  return {
    ...store,
    async advanceVersion(next, previous) {
      if (left > 0) {
        left -= 1;
        throw new Error("process killed between the change put and the version put (injected)");
      }
      return store.advanceVersion(next, previous);
    },
  };
}

describe("the DynamoDB allowlist-version store", () => {
  it("bumps once per group whose content changed and answers the changes after any N", async () => {
    // Prepare
    const { catalogueId, store, list, cycle, since } = harness();
    const a1 = list("alpha", endpoint("a", ["20.0.0.1"]));
    const b1 = list("beta", endpoint("b", ["20.0.1.1"]));
    const a2 = list("alpha", endpoint("a", ["20.0.0.1", "20.0.0.2"]));

    // Act
    const first = await cycle([a1, b1], "run-1", "2026-09-01T00:00:00.000Z");
    const second = await cycle([a2, b1], "run-2", "2026-09-01T01:00:00.000Z");

    // Assess
    expect(first.map((c) => [c.version, c.group])).toEqual([
      [1, "alpha"],
      [2, "beta"],
    ]);
    expect(second.map((c) => [c.version, c.group, c.added, c.removed])).toEqual([
      [3, "alpha", ["20.0.0.2"], []],
    ]);
    const version = await store.getVersion(catalogueId);
    expect(version).toMatchObject({
      version: 3,
      lastChangeId: second[0]?.changeId,
      groups: {
        alpha: { contentSha256: a2.contentSha256, version: 3 },
        beta: { contentSha256: b1.contentSha256, version: 2 },
      },
      updatedAt: "2026-09-01T01:00:00.000Z",
    });
    const all = [...first, ...second];
    for (const n of [0, 1, 2, 3]) expect(await since(n), `since ${n}`).toEqual(all.slice(n));
    expect(await since(0, 2)).toEqual(all.slice(0, 2));
    expect(second[0]).toMatchObject({
      runId: "run-2",
      eventIds: ["run-2/alpha"],
      previous: { contentSha256: a1.contentSha256, entries: 1 },
      current: { contentSha256: a2.contentSha256, entries: 2 },
      endpoints: [
        {
          id: "a",
          hostname: "a.example.com",
          previous: ["20.0.0.1"],
          current: ["20.0.0.1", "20.0.0.2"],
        },
      ],
    });
  });

  it("never bumps twice for a retried run, nor for a later run with the same content", async () => {
    const { catalogueId, store, list, cycle } = harness();
    const a = list("alpha", endpoint("a", ["20.0.0.1"]));
    await cycle([a], "run-1", "2026-09-01T00:00:00.000Z");

    const retried = await cycle([a], "run-1", "2026-09-01T00:00:00.000Z");
    const later = await cycle([a], "run-2", "2026-09-01T01:00:00.000Z");

    expect(retried).toEqual([]);
    expect(later).toEqual([]);
    expect((await store.getVersion(catalogueId))?.version).toBe(1);
    expect(await store.getChange(catalogueId, 2)).toBeNull();
  });

  it("completes a bump a crash left between the change and the version, exactly once, naming the first run", async () => {
    // Prepare: run-1 writes change 2 and dies before the version moves onto it
    const { catalogueId, store, list, cycle, since } = harness();
    await cycle([list("alpha", endpoint("a", ["20.0.0.1"]))], "run-1", "2026-09-01T00:00:00.000Z");
    const moved = list("alpha", endpoint("a", ["20.0.0.9"]));
    await expect(
      cycle([moved], "run-2", "2026-09-01T01:00:00.000Z", crashingAdvance(store)),
    ).rejects.toThrow(/injected/);
    const orphan = await store.getChange(catalogueId, 2);

    // Assess the window: the change exists, but no reader sees it before the version does
    expect(orphan).toMatchObject({ version: 2, runId: "run-2", added: ["20.0.0.9"] });
    expect((await store.getVersion(catalogueId))?.version).toBe(1);
    expect(await since(1)).toEqual([]);

    // Act: the retried run (a Lambda retry), then a later one, with the same content
    const retried = await cycle([moved], "run-2", "2026-09-01T01:05:00.000Z");
    const later = await cycle([moved], "run-3", "2026-09-01T02:00:00.000Z");

    // Assess: version 2 is the orphan change, completed once; nothing after it
    expect(retried).toEqual([]);
    expect(later).toEqual([]);
    expect(await store.getVersion(catalogueId)).toMatchObject({
      version: 2,
      lastChangeId: orphan?.changeId,
      groups: { alpha: { contentSha256: moved.contentSha256, version: 2 } },
    });
    expect(await since(1)).toEqual([orphan]);
    expect(await store.getChange(catalogueId, 3)).toBeNull();
  });

  it("keeps the staged run and events when a crash came after the rewrite and before any bump", async () => {
    // Prepare: run-1 stages its change (and would rewrite the files), then dies
    const { catalogueId, store, list, cycle } = harness();
    const a = list("alpha", endpoint("a", ["20.0.0.1"]));
    const objects = createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName });
    await stageAllowlistChanges(
      { versions: store, objects },
      {
        catalogueId,
        allowlists: [a],
        runId: "run-1",
        eventIdsByGroup: new Map([["alpha", ["event-b", "event-a"]]]),
        now: new Date("2026-09-01T00:00:00.000Z"),
      },
    );
    const staged = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `CATALOGUE#${catalogueId}`, sk: "ALLOWLIST_PENDING#alpha" },
      }),
    );

    // Act: the next cycle (another run, same content, no events of its own for it)
    const next = await cycle([a], "run-2", "2026-09-01T01:00:00.000Z");

    // Assess: the change names the run that wrote the content and its events
    expect(staged.Item).toMatchObject({ kind: "allowlist-pending", toSha256: a.contentSha256 });
    expect(next).toEqual([
      expect.objectContaining({
        version: 1,
        runId: "run-1",
        eventIds: ["event-a", "event-b"],
        at: "2026-09-01T01:00:00.000Z",
      }),
    ]);
    expect(await store.getChange(catalogueId, 1)).toEqual(next[0]);
  });

  it("numbers concurrent cycles' changes without a gap or a double count", async () => {
    const { catalogueId, store, list, cycle, since } = harness();
    const alpha = list("alpha", endpoint("a", ["20.0.0.1"]));
    const beta = list("beta", endpoint("b", ["20.0.1.1"]));

    // Two cycles with the same content, and one with another group, at once
    await Promise.all([
      cycle([alpha], "run-1", "2026-09-01T00:00:00.000Z"),
      cycle([alpha], "run-2", "2026-09-01T00:00:00.000Z"),
      cycle([beta], "run-3", "2026-09-01T00:00:00.000Z"),
    ]);

    const version = await store.getVersion(catalogueId);
    const changes = await since(0);
    expect(version?.version).toBe(2);
    expect(changes.map((c) => c.version)).toEqual([1, 2]);
    expect(changes.map((c) => c.group).sort()).toEqual(["alpha", "beta"]);
    expect(Object.keys(version?.groups ?? {}).sort()).toEqual(["alpha", "beta"]);
  });

  it("stores a change above 100 kB gzipped and reads it back whole", async () => {
    const { catalogueId, store, list, cycle } = harness();
    const many = Array.from({ length: 6000 }, (_, i) => `20.${(i >> 8) & 255}.${i & 255}.1`);
    const [change] = await cycle(
      [list("big", endpoint("a", many))],
      "run-1",
      "2026-09-01T00:00:00.000Z",
    );
    const item = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `CATALOGUE#${catalogueId}`, sk: "ALLOWLIST_CHANGE#0000000001" },
      }),
    );

    expect(item.Item?.changeGz).toBeInstanceOf(Uint8Array);
    expect(item.Item?.changeJson).toBeUndefined();
    expect(await store.getChange(catalogueId, 1)).toEqual(change);
    expect(change?.added).toHaveLength(6000);
  });
});
