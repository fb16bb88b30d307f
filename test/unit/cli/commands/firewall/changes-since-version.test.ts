import { describe, expect, it } from "vitest";
import { allChangesSince, parseSinceVersion } from "#cli/commands/firewall/changes-since-version";
import type { FirewallFeedDeps } from "#shared/query/firewall-feed/feed-queries";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import { withChange } from "#shared/record/allowlist-versions/version-allowlists";
import { memoryArchive, memoryVersionStore } from "#test/helpers/allowlist-version-fakes";

const CATALOGUE = "clearswift-seg-5.3";

function change(version: number): AllowlistChange {
  return {
    catalogueId: CATALOGUE,
    version,
    changeId: `change-${version}`,
    group: `group-${version % 3}`,
    at: new Date(Date.UTC(2026, 8, 1, 0, version)).toISOString(),
    runId: `run-${version}`,
    eventIds: [],
    previous: null,
    current: { contentSha256: `sha-${version}`, entries: 1, ports: [] },
    added: [`20.0.${version >> 8}.${version & 255}`],
    removed: [],
    endpoints: [],
  };
}

/** A store at `count` versions (each change put, then the version moved onto it). */
async function storeAt(count: number, skip?: number): Promise<FirewallFeedDeps> {
  const { store } = memoryVersionStore();
  let version = null;
  for (let v = 1; v <= count; v++) {
    if (v !== skip) await store.putChange(change(v));
    const next = withChange(CATALOGUE, version, change(v));
    await store.advanceVersion(next, version);
    version = next;
  }
  return { versions: store, objects: memoryArchive(), catalogueId: CATALOGUE };
}

describe("changes --since-version", () => {
  it("reads every page (1,000 changes each) after N, each change once, oldest first", async () => {
    const deps = await storeAt(2_345);

    const all = await allChangesSince(deps, 0);
    const tail = await allChangesSince(deps, 1_999);
    const none = await allChangesSince(deps, 2_345);

    expect(all.version).toBe(2_345);
    expect(all.changes.map((c) => c.version)).toEqual(
      Array.from({ length: 2_345 }, (_, i) => i + 1),
    );
    expect(tail.changes.map((c) => c.version)).toEqual(
      Array.from({ length: 346 }, (_, i) => i + 2_000),
    );
    expect(none).toEqual({ catalogueId: CATALOGUE, since: 2_345, version: 2_345, changes: [] });
  });

  it("fails naming the change when one the version counts is missing, instead of looping", async () => {
    const deps = await storeAt(5, 3);

    await expect(allChangesSince(deps, 2)).rejects.toThrow(
      `allowlist change 3 of catalogue ${CATALOGUE} is missing below version 5`,
    );
    await expect(allChangesSince(await storeAt(5, 5), 0)).rejects.toThrow(
      `allowlist change 5 of catalogue ${CATALOGUE} is missing below version 5`,
    );
  });

  it.each(["-1", "1.5", "abc", "", "1e3", "99999999999999999"])("refuses %j, naming it", (text) => {
    expect(() => parseSinceVersion(text)).toThrow(
      `--since-version: must be a whole number (0 for every change), not ${JSON.stringify(text)}`,
    );
  });

  it("takes 0 and whole numbers", () => {
    expect(parseSinceVersion("0")).toBe(0);
    expect(parseSinceVersion("42")).toBe(42);
  });
});
