import { describe, expect, it } from "vitest";
import { type GroupAllowlist, groupAllowlist } from "#shared/allowlists/build";
import { allowlistKeys, domainListKeys, renderEdl } from "#shared/allowlists/render";
import type { FeedRequest } from "#shared/query/firewall-feed/feed-http";
import { createFirewallFeedRouter } from "#shared/query/firewall-feed/firewall-feed-router";
import {
  stageAllowlistChanges,
  versionAllowlistChanges,
} from "#shared/record/allowlist-versions/version-allowlists";
import { memoryArchive, memoryVersionStore } from "#test/helpers/allowlist-version-fakes";

const CATALOGUE = "clearswift-seg-5.3";

function list(group: string, addresses: string[]): GroupAllowlist {
  return groupAllowlist(CATALOGUE, group, [
    {
      id: `${group}-host`,
      hostname: `${group}.example.com`,
      policy: "pinned",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      addresses,
    },
  ]);
}

/** A feed over three versions: mail (v1), av (v2), mail again (v3). */
async function feed() {
  const versions = memoryVersionStore();
  const objects = memoryArchive();
  const deps = { versions: versions.store, objects };
  const steps: [GroupAllowlist, string][] = [
    [list("mail", ["192.0.2.1"]), "2026-12-01T00:00:00.000Z"],
    [list("av", ["198.51.100.1"]), "2026-12-01T01:00:00.000Z"],
    [list("mail", ["192.0.2.1", "192.0.2.2"]), "2026-12-01T02:00:00.000Z"],
  ];
  for (const [allowlist, at] of steps) {
    const now = new Date(at);
    const read = await stageAllowlistChanges(deps, {
      catalogueId: CATALOGUE,
      allowlists: [allowlist],
      runId: `run-${at}`,
      eventIdsByGroup: new Map(),
      now,
    });
    const key = allowlistKeys(allowlist.group).txt;
    await objects.putIfChanged(
      key,
      new TextEncoder().encode(renderEdl(allowlist, at)),
      "text/plain",
    );
    await versionAllowlistChanges(deps, {
      catalogueId: CATALOGUE,
      allowlists: [allowlist],
      read,
      now,
    });
  }
  const router = createFirewallFeedRouter(
    { versions: versions.store, objects, catalogueIds: [CATALOGUE] },
    { baseUrl: "https://feed.example" },
  );
  return { router, objects };
}

const get = (
  path: string,
  query: FeedRequest["query"] = {},
  headers: FeedRequest["headers"] = {},
) => ({ method: "GET", path, query, headers }) satisfies FeedRequest;

describe("firewall feed router", () => {
  it("GET /version answers the catalogue's version with a strong ETag", async () => {
    const { router } = await feed();
    const response = await router(get("/version"));
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(JSON.parse(response.body)).toMatchObject({ catalogueId: CATALOGUE, version: 3 });
  });

  it("GET /changes?since=N lists exactly the changes after N, paged", async () => {
    const { router } = await feed();
    const all = JSON.parse((await router(get("/changes", { since: "0" }))).body);
    expect(all.changes.map((c: { version: number }) => c.version)).toEqual([1, 2, 3]);
    expect(all.next).toBeNull();
    const after1 = JSON.parse((await router(get("/changes", { since: "1" }))).body);
    expect(after1.changes.map((c: { group: string }) => c.group)).toEqual(["av", "mail"]);
    expect(after1.changes[1]).toMatchObject({ added: ["192.0.2.2"], removed: [] });
    const paged = JSON.parse((await router(get("/changes", { since: "0", limit: "2" }))).body);
    expect(paged.changes).toHaveLength(2);
    expect(paged.next).toBe(2);
    const none = JSON.parse((await router(get("/changes", { since: "3" }))).body);
    expect(none).toMatchObject({ version: 3, changes: [], next: null });
  });

  it("refuses bad input with 400 naming the value", async () => {
    const { router } = await feed();
    const cases: [FeedRequest["query"], RegExp][] = [
      [{}, /since is required/],
      [{ since: "abc" }, /since must be a whole number, not "abc"/],
      [{ since: "-1" }, /since must be a whole number, not "-1"/],
      [{ since: "9" }, /since 9 is after the current version 3/],
      [{ since: "0", limit: "0" }, /limit must be between 1 and 1000, not 0/],
    ];
    for (const [query, message] of cases) {
      const response = await router(get("/changes", query));
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(JSON.parse(response.body).error).toMatch(message);
    }
    const badGroup = await router(get("/allowlists/Not_A_Group.txt"));
    expect(badGroup.status).toBe(400);
    expect(JSON.parse(badGroup.body).error).toMatch(/"Not_A_Group" is not a group name/);
    const badEscape = await router(get("/allowlists/%E0%A4%A.txt"));
    expect(badEscape.status).toBe(400);
    expect(JSON.parse(badEscape.body).error).toMatch(/"%E0%A4%A" is not a group name/);
  });

  it("serves a group's EDL as written, and 304 for a matching If-None-Match", async () => {
    const { router } = await feed();
    const edl = await router(get("/allowlists/mail.txt"));
    expect(edl.status).toBe(200);
    expect(edl.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(edl.body.split("\n").filter((l) => !l.startsWith("#") && l !== "")).toEqual([
      "192.0.2.1",
      "192.0.2.2",
    ]);
    const etag = edl.headers.etag ?? "";
    const again = await router(get("/allowlists/mail.txt", {}, { "if-none-match": etag }));
    expect(again).toEqual({
      status: 304,
      headers: { etag, "cache-control": "no-cache" },
      body: "",
    });
    const other = await router(
      get("/allowlists/mail.txt", {}, { "if-none-match": '"abc", W/"def"' }),
    );
    expect(other.status).toBe(200);
  });

  it("serves a group's domain EDL (its wildcard names) as written, apart from its IP EDL", async () => {
    const { router, objects } = await feed();
    const domains = "# driftwatch domain list for firewall group mail\n*.apc.example.com\n";
    await objects.putIfChanged(
      domainListKeys("mail").domains,
      new TextEncoder().encode(domains),
      "text/plain",
    );
    const list = await router(get("/allowlists/mail.domains.txt"));
    expect(list.status).toBe(200);
    expect(list.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(list.body).toBe(domains);
    const again = await router(
      get("/allowlists/mail.domains.txt", {}, { "if-none-match": list.headers.etag ?? "" }),
    );
    expect(again.status).toBe(304);
    // The IP EDL is still the addresses, and a group without wildcard names has no domain EDL.
    expect((await router(get("/allowlists/mail.txt"))).body).toContain("192.0.2.2");
    const none = await router(get("/allowlists/av.domains.txt"));
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body).error).toBe('no allowlist for group "av"');
  });

  it("404 for an unknown group or route, 405 for another method", async () => {
    const { router } = await feed();
    const unknown = await router(get("/allowlists/nope.txt"));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe('no allowlist for group "nope"');
    expect((await router(get("/elsewhere"))).status).toBe(404);
    const post = await router({ ...get("/version"), method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it("GET /changes.atom is an Atom feed of the changes, newest first", async () => {
    const { router } = await feed();
    const response = await router(get("/changes.atom"));
    expect(response.headers["content-type"]).toBe("application/atom+xml; charset=utf-8");
    const ids = [
      ...response.body.matchAll(/<id>urn:driftwatch:[^<]*:allowlist-change:(\d+)<\/id>/g),
    ];
    expect(ids.map((m) => m[1])).toEqual(["3", "2", "1"]);
    expect(response.body).toContain('<link rel="self" href="https://feed.example/changes.atom"/>');
    expect(response.body).toContain("+ 192.0.2.2");
  });

  it("answers 500 with a safe message when the store fails", async () => {
    const router = createFirewallFeedRouter({
      versions: {
        getVersion: () => Promise.reject(new Error("secret table name in here")),
        changesBetween: () => Promise.resolve([]),
      },
      objects: memoryArchive(),
      catalogueIds: [CATALOGUE],
    });
    const response = await router(get("/version"));
    expect(response.status).toBe(500);
    expect(response.body).not.toContain("secret");
  });

  it("routes under a base path", async () => {
    const { objects } = await feed();
    const versions = memoryVersionStore();
    const router = createFirewallFeedRouter(
      { versions: versions.store, objects, catalogueIds: [CATALOGUE] },
      { basePath: "/feed" },
    );
    expect(JSON.parse((await router(get("/feed/version"))).body).version).toBe(0);
    expect((await router(get("/feed/allowlists/av.txt"))).status).toBe(200);
  });
});
