import { describe, expect, it } from "vitest";
import {
  type AllowlistEndpoint,
  type GroupAllowlist,
  groupAllowlist,
} from "#shared/allowlists/build";
import {
  allowlistChangeId,
  diffAllowlists,
} from "#shared/record/allowlist-versions/allowlist-change";
import { snapshotKey } from "#shared/record/allowlist-versions/content-snapshots";
import {
  stageAllowlistChanges,
  versionAllowlistChanges,
} from "#shared/record/allowlist-versions/version-allowlists";
import { memoryArchive, memoryVersionStore } from "#test/helpers/allowlist-version-fakes";

const CATALOGUE = "clearswift-seg-5.3";

function endpoint(id: string, addresses: string[]): AllowlistEndpoint {
  return {
    id,
    hostname: `${id}.example.com`,
    policy: "pinned",
    ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    addresses,
  };
}

function list(group: string, ...endpoints: AllowlistEndpoint[]): GroupAllowlist {
  return groupAllowlist(CATALOGUE, group, endpoints);
}

function harness() {
  const versions = memoryVersionStore();
  const objects = memoryArchive();
  const deps = { versions: versions.store, objects };
  /** One cycle: stage, (the allowlists would be written here), version. */
  async function cycle(allowlists: GroupAllowlist[], runId: string, at: string) {
    const now = new Date(at);
    const read = await stageAllowlistChanges(deps, {
      catalogueId: CATALOGUE,
      allowlists,
      runId,
      eventIdsByGroup: new Map(allowlists.map((a) => [a.group, [`event-${runId}-${a.group}`]])),
      now,
    });
    return versionAllowlistChanges(deps, { catalogueId: CATALOGUE, allowlists, read, now });
  }
  return { versions, objects, deps, cycle };
}

describe("allowlist change ids and diffs", () => {
  it("names the group and both content hashes, so a flap back is a change of its own", () => {
    const ab = allowlistChangeId("g", "a", "b");
    expect(ab).toMatch(/^[0-9a-f]{64}$/);
    expect(allowlistChangeId("g", "a", "b")).toBe(ab);
    expect(allowlistChangeId("g", "b", "a")).not.toBe(ab);
    expect(allowlistChangeId("h", "a", "b")).not.toBe(ab);
    expect(allowlistChangeId("g", null, "b")).not.toBe(ab);
  });

  it("lists added and removed entries and each endpoint's previous and current entries", () => {
    const before = list(
      "g",
      endpoint("a", ["192.0.2.1", "192.0.2.2"]),
      endpoint("b", ["192.0.2.9"]),
    );
    const after = list(
      "g",
      endpoint("a", ["192.0.2.2", "192.0.2.3"]),
      endpoint("c", ["2001:db8::1"]),
    );
    const diff = diffAllowlists(before, after);
    expect(diff.added).toEqual(["192.0.2.3", "2001:db8::1"]);
    expect(diff.removed).toEqual(["192.0.2.1", "192.0.2.9"]);
    expect(diff.endpoints).toEqual([
      {
        id: "a",
        hostname: "a.example.com",
        previous: ["192.0.2.1", "192.0.2.2"],
        current: ["192.0.2.2", "192.0.2.3"],
      },
      { id: "b", hostname: "b.example.com", previous: ["192.0.2.9"], current: null },
      { id: "c", hostname: "c.example.com", previous: null, current: ["2001:db8::1"] },
    ]);
    expect(diff.previous).toMatchObject({ contentSha256: before.contentSha256, entries: 3 });
    expect(diff.current).toMatchObject({ contentSha256: after.contentSha256, entries: 3 });
  });
});

describe("versionAllowlistChanges", () => {
  it("bumps once per changed group, in group order, and records the change", async () => {
    const { versions, objects, cycle } = harness();
    const first = await cycle(
      [list("mail", endpoint("a", ["192.0.2.1"])), list("av", endpoint("b", ["198.51.100.1"]))],
      "run-1",
      "2026-12-01T00:00:00Z",
    );
    expect(first.map((c) => [c.version, c.group])).toEqual([
      [1, "av"],
      [2, "mail"],
    ]);
    expect(first[0]).toMatchObject({
      previous: null,
      added: ["198.51.100.1"],
      removed: [],
      runId: "run-1",
      eventIds: ["event-run-1-av"],
      at: "2026-12-01T00:00:00.000Z",
    });
    const version = await versions.store.getVersion(CATALOGUE);
    expect(version).toMatchObject({ version: 2, lastChangeId: first[1]?.changeId });
    const mail = list("mail", endpoint("a", ["192.0.2.1"]));
    expect(objects.objects.has(snapshotKey("mail", mail.contentSha256))).toBe(true);
  });

  it("does not bump for unchanged content, nor twice when a cycle is retried", async () => {
    const { versions, cycle } = harness();
    const lists = [list("mail", endpoint("a", ["192.0.2.1"]))];
    await cycle(lists, "run-1", "2026-12-01T00:00:00Z");
    expect(await cycle(lists, "run-1", "2026-12-01T00:00:00Z")).toEqual([]);
    expect(await cycle(lists, "run-2", "2026-12-01T01:00:00Z")).toEqual([]);
    expect((await versions.store.getVersion(CATALOGUE))?.version).toBe(1);
  });

  it("computes each change against the content the last version listed", async () => {
    const { cycle } = harness();
    await cycle(
      [list("mail", endpoint("a", ["192.0.2.1", "192.0.2.2"]))],
      "run-1",
      "2026-12-01T00:00:00Z",
    );
    const [second] = await cycle(
      [list("mail", endpoint("a", ["192.0.2.2", "192.0.2.3"]))],
      "run-2",
      "2026-12-01T01:00:00Z",
    );
    expect(second).toMatchObject({ version: 2, added: ["192.0.2.3"], removed: ["192.0.2.1"] });
    // Flapping back is a change of its own (a new version), not a replay of version 1.
    const [third] = await cycle(
      [list("mail", endpoint("a", ["192.0.2.1", "192.0.2.2"]))],
      "run-3",
      "2026-12-01T02:00:00Z",
    );
    expect(third).toMatchObject({ version: 3, added: ["192.0.2.1"], removed: ["192.0.2.3"] });
  });

  it("a crash between the change and the version: the retry completes it without a second bump", async () => {
    const { versions, cycle } = harness();
    await cycle([list("mail", endpoint("a", ["192.0.2.1"]))], "run-1", "2026-12-01T00:00:00Z");
    const changed = [list("mail", endpoint("a", ["192.0.2.7"]))];
    versions.failNextAdvance();
    await expect(cycle(changed, "run-2", "2026-12-01T01:00:00Z")).rejects.toThrow(/injected/);
    expect((await versions.store.getVersion(CATALOGUE))?.version).toBe(1);
    expect(versions.changes.size).toBe(2);
    // The next cycle (a later run) finds version 2 taken, moves the version onto it, and stops.
    expect(await cycle(changed, "run-3", "2026-12-01T02:00:00Z")).toEqual([]);
    const version = await versions.store.getVersion(CATALOGUE);
    expect(version?.version).toBe(2);
    const change = await versions.store.getChange(CATALOGUE, 2);
    expect(change).toMatchObject({
      runId: "run-2",
      eventIds: ["event-run-2-mail"],
      added: ["192.0.2.7"],
    });
    expect(version?.lastChangeId).toBe(change?.changeId);
  });

  it("a crash after the rewrite, before any bump: the next cycle versions it with the staged run", async () => {
    const { versions, deps, cycle } = harness();
    await cycle([list("mail", endpoint("a", ["192.0.2.1"]))], "run-1", "2026-12-01T00:00:00Z");
    const changed = [list("mail", endpoint("a", ["192.0.2.8"]))];
    // run-2 stages (and would write the allowlist), then dies before versioning.
    await stageAllowlistChanges(deps, {
      catalogueId: CATALOGUE,
      allowlists: changed,
      runId: "run-2",
      eventIdsByGroup: new Map([["mail", ["event-run-2"]]]),
      now: new Date("2026-12-01T01:00:00Z"),
    });
    const [repaired] = await cycle(changed, "run-3", "2026-12-01T02:00:00Z");
    expect(repaired).toMatchObject({ version: 2, runId: "run-2", eventIds: ["event-run-2"] });
    expect((await versions.store.getVersion(CATALOGUE))?.version).toBe(2);
  });

  it("two concurrent cycles with the same change bump once", async () => {
    const { versions, cycle } = harness();
    const lists = [
      list("mail", endpoint("a", ["192.0.2.1"])),
      list("av", endpoint("b", ["198.51.100.2"])),
    ];
    const [a, b] = await Promise.all([
      cycle(lists, "run-1", "2026-12-01T00:00:00Z"),
      cycle(lists, "run-1", "2026-12-01T00:00:00Z"),
    ]);
    expect((await versions.store.getVersion(CATALOGUE))?.version).toBe(2);
    expect(versions.changes.size).toBe(2);
    expect([...(a ?? []), ...(b ?? [])].map((c) => c.version).sort()).toEqual([1, 2]);
  });
});
