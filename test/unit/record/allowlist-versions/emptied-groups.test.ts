import { describe, expect, it } from "vitest";
import { groupAllowlist } from "#shared/allowlists/build";
import { emptiedGroupAllowlists } from "#shared/record/allowlist-versions/emptied-groups";
import type { CatalogueVersion } from "#shared/record/allowlist-versions/ports";

const web = groupAllowlist("cat", "web", [
  {
    id: "app",
    hostname: "app.example.com",
    policy: "pinned",
    ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    addresses: ["192.0.2.1"],
  },
]);

function version(groups: string[]): CatalogueVersion {
  return {
    catalogueId: "cat",
    version: groups.length,
    lastChangeId: "x",
    groups: Object.fromEntries(
      groups.map((g, i) => [g, { contentSha256: `h${i}`, version: i + 1 }]),
    ),
    updatedAt: "2026-12-01T00:00:00.000Z",
  };
}

describe("emptiedGroupAllowlists", () => {
  it("gives an empty allowlist for each versioned group the plan has none for, in name order", () => {
    const emptied = emptiedGroupAllowlists({ id: "cat" }, [web], version(["web", "mail", "dns"]));
    expect(emptied.map((a) => a.group)).toEqual(["dns", "mail"]);
    for (const allowlist of emptied) {
      expect(allowlist).toMatchObject({ catalogueId: "cat", addresses: [], ports: [] });
      expect(allowlist.endpoints).toEqual([]);
    }
    // Always the same content, so an emptied group is versioned once and then unchanged.
    expect(emptied[0]?.contentSha256).toBe(
      emptiedGroupAllowlists({ id: "cat" }, [], version(["dns"]))[0]?.contentSha256,
    );
  });

  it("adds nothing without a version, or when every versioned group is planned", () => {
    expect(emptiedGroupAllowlists({ id: "cat" }, [web], null)).toEqual([]);
    expect(emptiedGroupAllowlists({ id: "cat" }, [web], version(["web"]))).toEqual([]);
  });
});
