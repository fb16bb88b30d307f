import { describe, expect, it } from "vitest";
import { type GroupAllowlist, groupAllowlist } from "#shared/allowlists/build";
import { allowlistKeys, renderEdl } from "#shared/allowlists/render";
import type { DeploymentFeedDeps } from "#shared/query/firewall-feed/feed-catalogues";
import type { FeedRequest } from "#shared/query/firewall-feed/feed-http";
import { createFirewallFeedRouter } from "#shared/query/firewall-feed/firewall-feed-router";
import {
  stageAllowlistChanges,
  versionAllowlistChanges,
} from "#shared/record/allowlist-versions/version-allowlists";
import { memoryArchive, memoryVersionStore } from "#test/helpers/allowlist-version-fakes";

/**
 * The feed of a deployment serving two catalogues (and a store holding a third it does not
 * serve): each catalogue's version, changes and Atom feed are its own, `?catalogue=` picks one,
 * no `?catalogue` answers the default as before.
 */

const CLEARSWIFT = "clearswift-seg-5.3";
const SOPHOS = "sophos-email-appliance";
const UNSERVED = "retired-vendor";

function list(catalogueId: string, group: string, addresses: string[]): GroupAllowlist {
  return groupAllowlist(catalogueId, group, [
    {
      id: `${group}-host`,
      hostname: `${group}.example.com`,
      policy: "pinned",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      addresses,
    },
  ]);
}

/** Clearswift at version 2 (mail, av), Sophos at version 1 (sophos-live), the unserved at 1. */
async function twoCatalogues(options: { defaultCatalogueId?: string } = {}) {
  const versions = memoryVersionStore();
  const objects = memoryArchive();
  const deps = { versions: versions.store, objects };
  const steps: [GroupAllowlist, string][] = [
    [list(CLEARSWIFT, "mail", ["192.0.2.1"]), "2026-12-01T00:00:00.000Z"],
    [list(SOPHOS, "sophos-live", ["203.0.113.9"]), "2026-12-01T00:30:00.000Z"],
    [list(CLEARSWIFT, "av", ["198.51.100.1"]), "2026-12-01T01:00:00.000Z"],
    [list(UNSERVED, "retired", ["203.0.113.66"]), "2026-12-01T01:30:00.000Z"],
  ];
  for (const [allowlist, at] of steps) {
    const now = new Date(at);
    const { catalogueId } = allowlist;
    const read = await stageAllowlistChanges(deps, {
      catalogueId,
      allowlists: [allowlist],
      runId: `run-${at}`,
      eventIdsByGroup: new Map(),
      now,
    });
    const edl = new TextEncoder().encode(renderEdl(allowlist, at));
    await objects.putIfChanged(allowlistKeys(allowlist.group).txt, edl, "text/plain");
    await versionAllowlistChanges(deps, { catalogueId, allowlists: [allowlist], read, now });
  }
  const feed: DeploymentFeedDeps = {
    versions: versions.store,
    objects,
    catalogueIds: [CLEARSWIFT, SOPHOS],
    ...options,
  };
  return createFirewallFeedRouter(feed, { baseUrl: "https://feed.example" });
}

const get = (
  path: string,
  query: FeedRequest["query"] = {},
  headers: FeedRequest["headers"] = {},
) => ({ method: "GET", path, query, headers }) satisfies FeedRequest;

const body = (response: { body: string }) => JSON.parse(response.body);

describe("the firewall feed of two catalogues", () => {
  it("answers the default catalogue without ?catalogue, the one named with it", async () => {
    const router = await twoCatalogues();

    const plain = body(await router(get("/version")));
    const sophos = body(await router(get("/version", { catalogue: SOPHOS })));
    const clearswift = body(await router(get("/version", { catalogue: CLEARSWIFT })));

    expect(plain).toMatchObject({ catalogueId: CLEARSWIFT, version: 2 });
    expect(Object.keys(plain.groups).sort()).toEqual(["av", "mail"]);
    expect(clearswift).toEqual(plain);
    expect(sophos).toMatchObject({ catalogueId: SOPHOS, version: 1 });
    expect(Object.keys(sophos.groups)).toEqual(["sophos-live"]);
  });

  it("lists each catalogue's changes only, in /changes and the Atom feed", async () => {
    const router = await twoCatalogues();

    const clearswift = body(await router(get("/changes", { since: "0" })));
    const sophos = body(await router(get("/changes", { since: "0", catalogue: SOPHOS })));
    const atom = (await router(get("/changes.atom", { catalogue: SOPHOS }))).body;
    const plainAtom = (await router(get("/changes.atom"))).body;

    expect(clearswift.changes.map((c: { group: string }) => c.group)).toEqual(["mail", "av"]);
    expect(sophos).toMatchObject({ catalogueId: SOPHOS, version: 1, next: null });
    expect(sophos.changes.map((c: { group: string }) => c.group)).toEqual(["sophos-live"]);
    expect(atom).toContain(`<id>urn:driftwatch:${SOPHOS}:allowlist-changes</id>`);
    expect(atom.match(/<entry>/g)).toHaveLength(1);
    expect(atom).toContain("+ 203.0.113.9");
    expect(atom).not.toContain("192.0.2.1");
    expect(atom).toContain(
      `<link rel="self" href="https://feed.example/changes.atom?catalogue=${SOPHOS}"/>`,
    );
    expect(atom).toContain(
      `href="https://feed.example/changes?since=0&amp;limit=1&amp;catalogue=${SOPHOS}"`,
    );
    expect(plainAtom.match(/<entry>/g)).toHaveLength(2);
    expect(plainAtom).not.toContain("203.0.113.9");
    expect(plainAtom).toContain('<link rel="self" href="https://feed.example/changes.atom"/>');
  });

  it("keeps ETags and 304s per catalogue, even for two empty catalogues", async () => {
    const router = await twoCatalogues();
    const empty = createFirewallFeedRouter({
      versions: memoryVersionStore().store,
      objects: memoryArchive(),
      catalogueIds: [CLEARSWIFT, SOPHOS],
    });

    for (const [route, query] of [
      [router, {}],
      [router, { since: "0" }],
      [empty, {}],
    ] as const) {
      for (const path of ["/version", "/changes", "/changes.atom"]) {
        if (path === "/changes" && !("since" in query)) continue;
        const a = await route(get(path, query));
        const b = await route(get(path, { ...query, catalogue: SOPHOS }));
        const aTag = a.headers.etag ?? "";
        const bTag = b.headers.etag ?? "";
        expect(aTag, path).not.toBe(bTag);
        const bAgain = await route(
          get(path, { ...query, catalogue: SOPHOS }, { "if-none-match": bTag }),
        );
        const aWithB = await route(get(path, query, { "if-none-match": bTag }));
        const bWithA = await route(
          get(path, { ...query, catalogue: SOPHOS }, { "if-none-match": aTag }),
        );
        expect([bAgain.status, aWithB.status, bWithA.status], path).toEqual([304, 200, 200]);
      }
    }
  });

  it("GET /catalogues lists the served catalogues with their versions, and the default", async () => {
    const router = await twoCatalogues({ defaultCatalogueId: SOPHOS });

    const response = await router(get("/catalogues"));

    expect(response.status).toBe(200);
    expect(response.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    const view = body(response);
    expect(view.defaultCatalogueId).toBe(SOPHOS);
    expect(
      view.catalogues.map((c: { catalogueId: string; version: number }) => [
        c.catalogueId,
        c.version,
      ]),
    ).toEqual([
      [CLEARSWIFT, 2],
      [SOPHOS, 1],
    ]);
    expect(body(await router(get("/version"))).catalogueId).toBe(SOPHOS);
  });

  it("serves an allowlist by its group as before, and with ?catalogue only that catalogue's", async () => {
    const router = await twoCatalogues();

    const plain = await router(get("/allowlists/sophos-live.txt"));
    const own = await router(get("/allowlists/sophos-live.txt", { catalogue: SOPHOS }));
    const other = await router(get("/allowlists/sophos-live.txt", { catalogue: CLEARSWIFT }));

    expect(plain.status).toBe(200);
    expect(plain.body).toContain("203.0.113.9");
    expect(own).toEqual(plain);
    expect(other.status).toBe(404);
    expect(body(other).error).toBe(
      `no allowlist for group "sophos-live" in catalogue "${CLEARSWIFT}"`,
    );
  });

  it("never answers a catalogue it does not serve, even one the store holds", async () => {
    const router = await twoCatalogues();

    for (const [path, query] of [
      ["/version", {}],
      ["/changes", { since: "0" }],
      ["/changes.atom", {}],
      ["/allowlists/retired.txt", {}],
    ] as const) {
      const response = await router(get(path, { ...query, catalogue: UNSERVED }));
      expect(response.status, path).toBe(404);
      expect(body(response).error, path).toBe(
        `no catalogue "${UNSERVED}" in this feed: it serves ${CLEARSWIFT}, ${SOPHOS} (GET /catalogues)`,
      );
      expect(response.body).not.toContain("203.0.113.66");
    }
    const catalogues = (await router(get("/catalogues"))).body;
    expect(catalogues).not.toContain(UNSERVED);
  });

  it.each([
    ["", '""'],
    ["Sophos", '"Sophos"'],
    [`${CLEARSWIFT},${SOPHOS}`, `"${CLEARSWIFT},${SOPHOS}"`],
  ])("refuses ?catalogue=%j with 400 naming it", async (value, named) => {
    const router = await twoCatalogues();

    for (const path of ["/version", "/changes.atom", "/allowlists/mail.txt"]) {
      const response = await router(get(path, { catalogue: value }));
      expect(response.status, path).toBe(400);
      expect(body(response).error, path).toBe(
        `catalogue: ${named} is not a catalogue id (a lower-case slug)`,
      );
    }
  });
});
