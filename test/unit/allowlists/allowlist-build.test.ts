import { describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { renderAllowlistJson, renderEdl } from "#shared/allowlists/render";
import {
  AWS_META,
  AWS_PREFIXES,
  CLOUDFRONT_META,
  CLOUDFRONT_PREFIXES,
  catalogue,
  HOSTS,
  matcher,
  observation,
  prefix,
} from "#test/helpers/verdict-fixtures";

const matchers = new Map([
  ["cloudfront" as const, matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES)],
  ["aws-ip-ranges" as const, matcher(AWS_META, AWS_PREFIXES)],
]);

function observations() {
  return [
    // An undocumented IP is drift for a person to judge, not an automatic allow
    observation(HOSTS.pinned, { active: ["3.10.94.193", "3.10.94.200"] }),
    observation(HOSTS.pool1, { active: ["185.155.104.24"] }),
    observation(HOSTS.pool2, { active: ["70.33.161.213"] }),
    observation(HOSTS.cloudfront, { active: ["13.32.1.10", "203.0.113.9"] }),
    observation(HOSTS.aws, { active: ["3.8.1.20"] }),
    observation(HOSTS.rotating, { active: ["162.159.200.9", "162.159.200.1", "2606:4700:f1::1"] }),
  ];
}

describe("buildAllowlists", () => {
  it("lists per group what each expectation policy allows", () => {
    // Act
    const lists = buildAllowlists({ catalogue, observations: observations(), matchers });

    // Assess
    expect(Object.fromEntries(lists.map((l) => [l.group, l.addresses]))).toEqual({
      "av-update-mirrors": ["70.33.161.213", "185.155.104.24"],
      ntp: ["162.159.200.1", "162.159.200.9", "2606:4700:f1::1"],
      "online-help": ["3.10.94.193"],
      // The host's answer outside every published range is not listed: no feed withdrawal left
      // it there and no earlier list had it, so it is for a person to allow (a hijack signal)
      "product-updates": ["13.32.0.0/15", "52.84.0.0/15", "2600:9000::/28"],
      "service-availability": ["3.8.0.0/14", "18.130.0.0/16"],
      "swisssign-mpki": [],
    });
  });

  it("lists the prefixes of a CloudFront list it did not know before (a new key of the file)", () => {
    // Prepare: AWS moves a range to a list under a new key (read as its own service)
    const withNewList = new Map([
      [
        "cloudfront" as const,
        matcher(CLOUDFRONT_META, [
          ...CLOUDFRONT_PREFIXES.filter((p) => p.prefix !== "52.84.0.0/15"),
          prefix("52.84.0.0/15", "CLOUDFRONT_EDGE_V2"),
        ]),
      ],
      ["aws-ip-ranges" as const, matcher(AWS_META, AWS_PREFIXES)],
    ]);

    // Act
    const lists = buildAllowlists({
      catalogue,
      observations: observations(),
      matchers: withNewList,
    });

    // Assess
    expect(lists.find((l) => l.group === "product-updates")?.addresses).toEqual([
      "13.32.0.0/15",
      "52.84.0.0/15",
      "2600:9000::/28",
    ]);
  });

  it("leaves out groups that only have any-destination or internal rows", () => {
    // Act
    const groups = buildAllowlists({ catalogue, observations: observations(), matchers }).map(
      (l) => l.group,
    );

    // Assess
    expect(groups).not.toContain("smtp");
    expect(groups).not.toContain("directory");
  });

  it("lists the observed IPs of a feed endpoint when no snapshot of the feed exists", () => {
    // Act
    const lists = buildAllowlists({ catalogue, observations: observations(), matchers: new Map() });

    // Assess
    expect(lists.find((l) => l.group === "product-updates")?.addresses).toEqual([
      "13.32.1.10",
      "203.0.113.9",
    ]);
  });

  it("gives the same content the same hash, whatever the order it was observed in", () => {
    // Prepare
    const reversed = observations()
      .reverse()
      .map((o) => ({ ...o, active: [...o.active].reverse() }));

    // Act
    const first = buildAllowlists({ catalogue, observations: observations(), matchers });
    const second = buildAllowlists({ catalogue, observations: reversed, matchers });

    // Assess
    expect(second.map((l) => l.contentSha256)).toEqual(first.map((l) => l.contentSha256));
    expect(renderEdl(second[0] as never, "2026-08-21T12:00:00.000Z")).toBe(
      renderEdl(first[0] as never, "2026-08-21T12:00:00.000Z"),
    );
  });

  it("changes the hash when a published range the group relies on changes", () => {
    // Prepare
    const grown = new Map(matchers);
    grown.set(
      "cloudfront",
      matcher(CLOUDFRONT_META, [
        ...CLOUDFRONT_PREFIXES,
        prefix("18.64.0.0/14", "CLOUDFRONT_GLOBAL"),
      ]),
    );

    // Act
    const before = buildAllowlists({ catalogue, observations: observations(), matchers });
    const after = buildAllowlists({ catalogue, observations: observations(), matchers: grown });

    // Assess
    const hash = (lists: typeof before, group: string) =>
      lists.find((l) => l.group === group)?.contentSha256;
    expect(hash(after, "product-updates")).not.toBe(hash(before, "product-updates"));
    expect(hash(after, "online-help")).toBe(hash(before, "online-help"));
  });
});

describe("allowlist files", () => {
  const list = () =>
    buildAllowlists({ catalogue, observations: observations(), matchers }).find(
      (l) => l.group === "av-update-mirrors",
    );

  it("renders an External Dynamic List: a comment header, then one address per line", () => {
    // Prepare
    const allowlist = list();
    if (allowlist === undefined) throw new Error("no allowlist");

    // Act
    const text = renderEdl(allowlist, "2026-08-21T12:00:00.000Z");

    // Assess
    expect(text).toBe(
      [
        "# driftwatch allowlist for firewall group av-update-mirrors (catalogue clearswift-seg-5.3)",
        "# ports: tcp/80 out",
        "# generated: 2026-08-21T12:00:00.000Z (when this content last changed)",
        `# entries: 2; content sha256: ${allowlist.contentSha256}`,
        "70.33.161.213",
        "185.155.104.24",
        "",
      ].join("\n"),
    );
  });

  it("renders the JSON document with ports, protocols and each endpoint's policy", () => {
    // Prepare
    const allowlist = list();
    if (allowlist === undefined) throw new Error("no allowlist");

    // Act
    const document = JSON.parse(renderAllowlistJson(allowlist, "2026-08-21T12:00:00.000Z"));

    // Assess
    expect(document).toMatchObject({
      schemaVersion: 1,
      group: "av-update-mirrors",
      generatedAt: "2026-08-21T12:00:00.000Z",
      ports: [{ protocol: "tcp", port: 80, direction: "out" }],
      addresses: ["70.33.161.213", "185.155.104.24"],
    });
    expect(document.endpoints.map((e: { id: string; policy: string }) => [e.id, e.policy])).toEqual(
      [
        ["avira-av-updates/aav-update-1.clearswift.net", "pool"],
        ["avira-av-updates/aav-update-2.clearswift.net", "pool"],
      ],
    );
  });
});
