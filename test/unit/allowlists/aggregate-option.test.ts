import { describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { renderAllowlistJson } from "#shared/allowlists/render";
import { Catalogue } from "#shared/catalogue/schema";
import { catalogue, HOSTS, observation } from "#test/helpers/verdict-fixtures";

function ntpList(groups?: Catalogue["groups"]) {
  const observations = [
    observation(HOSTS.rotating, {
      active: [
        "162.159.200.0",
        "162.159.200.1",
        "162.159.200.2",
        "162.159.200.3",
        "2606:4700:f1::1",
      ],
    }),
  ];
  const lists = buildAllowlists({
    catalogue: groups === undefined ? catalogue : { ...catalogue, groups },
    observations,
    matchers: new Map(),
  });
  const ntp = lists.find((list) => list.group === "ntp");
  if (ntp === undefined) throw new Error("no ntp allowlist");
  return ntp;
}

describe("group option aggregate", () => {
  it("is off by default: the addresses are listed one by one and the hash does not move", () => {
    const plain = ntpList();
    const explicitOff = ntpList({ ntp: { aggregate: false } });

    expect(plain.addresses).toEqual([
      "162.159.200.0",
      "162.159.200.1",
      "162.159.200.2",
      "162.159.200.3",
      "2606:4700:f1::1",
    ]);
    expect(plain.aggregated).toBeUndefined();
    expect(explicitOff.contentSha256).toBe(plain.contentSha256);
  });

  it("lists the fewest prefixes when on, keeps each endpoint's own entries, and says so in the JSON", () => {
    const aggregated = ntpList({ ntp: { aggregate: true } });

    expect(aggregated.addresses).toEqual(["162.159.200.0/30", "2606:4700:f1::1"]);
    expect(aggregated.endpoints.flatMap((e) => e.addresses)).toHaveLength(5);
    expect(aggregated.contentSha256).not.toBe(ntpList().contentSha256);
    const json = JSON.parse(renderAllowlistJson(aggregated, "2026-12-03T00:00:00.000Z"));
    expect(json).toMatchObject({ aggregated: true, addresses: aggregated.addresses });
  });

  it("is refused by the catalogue schema for a group no endpoint has, naming it", () => {
    const parsed = Catalogue.safeParse({
      ...catalogue,
      groups: { "no-such-group": { aggregate: true } },
    });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ["groups", "no-such-group"],
        message: 'options for unknown group "no-such-group" (no endpoint has it)',
      }),
    ]);
    expect(
      Catalogue.safeParse({ ...catalogue, groups: { ntp: { aggregate: true } } }).success,
    ).toBe(true);
  });
});
