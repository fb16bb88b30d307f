import { describe, expect, it } from "vitest";
import { buildAllowlists } from "#shared/allowlists/build";
import { holdAllowlists } from "#shared/allowlists/held";
import { renderAllowlistJson } from "#shared/allowlists/render";
import { parseWrittenAllowlist, type WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type { Catalogue } from "#shared/catalogue/schema";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { HostObservation } from "#shared/domain/observation";
import {
  AWS_META,
  AWS_PREFIXES,
  catalogue,
  driftInput,
  feeds,
  HOSTS,
  matcher,
  observation,
  steadyState,
} from "#test/helpers/verdict-fixtures";

/** Only the ip-ranges.json matcher: the CloudFront list has none this run. */
const withoutCloudFront = () => feeds([], [matcher(AWS_META, AWS_PREFIXES)]);

describe("evaluateDrift: an IP leaving a feed endpoint while its feed has no matcher", () => {
  it("reports no removal when the feed's snapshot is unreadable: coverage is unknown", () => {
    // Prepare: 13.32.5.5 lies in the CloudFront list, which cannot be read this run.
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], left: ["13.32.5.5"] }),
    );
    const input = driftInput(observations, {
      feeds: { ...withoutCloudFront(), unreadable: ["cloudfront"] },
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("reports no removal before the feed's first snapshot either", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.aws, { active: ["3.8.1.20"], left: ["18.130.4.4"] }),
    );
    const input = driftInput(observations, { feeds: feeds([], []) });

    // Act
    const events = evaluateDrift(input);

    // Assess
    expect(events).toEqual([]);
  });

  it("still reports an IP outside the published ranges leaving when the feed can judge it", () => {
    // Prepare
    const observations = steadyState(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], left: ["203.0.113.9"] }),
    );

    // Act
    const events = evaluateDrift(driftInput(observations));

    // Assess
    expect(events.map((e) => [e.type, e.severity, e.removed])).toEqual([
      ["ip-removed", "low", ["203.0.113.9"]],
    ]);
  });
});

/** The fixture catalogue with a rotating NTP name in the CloudFront endpoint's group. */
const MIRROR_HOST = "mirror.clearswift.net";
const sharedGroup = {
  ...catalogue,
  endpoints: [
    ...catalogue.endpoints,
    {
      id: "product-mirror/mirror.clearswift.net",
      group: "product-updates",
      service: "Product mirror",
      purpose: "Updates",
      scope: "external",
      hostname: MIRROR_HOST,
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      policy: "rotating",
      ips: [],
      retiredIps: [],
      provenance: { document: "Mirror notes", issue: "1", section: "Mirrors" },
    },
  ],
} satisfies Catalogue;

const steadyShared = (...replacements: HostObservation[]) => [
  ...steadyState(...replacements.filter((o) => o.hostname !== MIRROR_HOST)),
  replacements.find((o) => o.hostname === MIRROR_HOST) ??
    observation(MIRROR_HOST, { active: ["198.51.100.7"] }),
];

/** The document written for product-updates while the CloudFront list could still be read. */
function writtenWithRanges(observations: HostObservation[]): Map<string, WrittenAllowlist> {
  const [list] = buildAllowlists({
    catalogue: sharedGroup,
    observations,
    matchers: feeds().matchers,
  }).filter((l) => l.group === "product-updates");
  if (list === undefined) throw new Error("no product-updates allowlist");
  const document = parseWrittenAllowlist(
    new TextEncoder().encode(renderAllowlistJson(list, "2026-08-21T10:00:00.000Z")),
  );
  if (document === null) throw new Error("unparsable document");
  return new Map([["product-updates", document]]);
}

const unreadableCloudFront = () => ({
  ...withoutCloudFront(),
  unreadable: ["cloudfront" as const],
});

describe("evaluateDrift: ip-added in a group whose allowlist is held (its feed unreadable)", () => {
  it("tells to allow the address explicitly when the allowlist is kept as last written", () => {
    // Prepare: no last written document, so the allowlist is not rewritten this run.
    const observations = steadyShared(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["13.32.9.9"] }),
      observation(MIRROR_HOST, { active: ["198.51.100.7"], entered: ["198.51.100.8"] }),
    );
    const input = driftInput(observations, {
      catalogue: sharedGroup,
      feeds: unreadableCloudFront(),
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    const actions = events.filter((e) => e.type === "ip-added").map((e) => e.action);
    expect(actions).toHaveLength(2);
    for (const action of actions) {
      expect(action).toContain(
        "explicitly meanwhile: allowlists/product-updates.txt is kept as last written while the CloudFront snapshot cannot be read",
      );
      expect(action).not.toContain("lists it until");
      expect(action).not.toContain("already lists it");
    }
  });

  it("says the allowlist covers it with the last known ranges when it is rebuilt from the last written document", () => {
    // Prepare
    const written = writtenWithRanges(steadyShared());
    const observations = steadyShared(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10"], entered: ["203.0.113.9"] }),
      observation(MIRROR_HOST, { active: ["198.51.100.7"], entered: ["198.51.100.8"] }),
    );
    const input = driftInput(observations, {
      catalogue: sharedGroup,
      feeds: unreadableCloudFront(),
      writtenAllowlists: written,
    });

    // Act
    const events = evaluateDrift(input);

    // Assess
    const added = events.filter((e) => e.type === "ip-added");
    expect(added.map((e) => e.subject.key)).toEqual([
      "endpoint:product-and-os-updates/products.clearswift.net",
      "endpoint:product-mirror/mirror.clearswift.net",
    ]);
    expect(added[0]?.action).toContain(
      "point the rule at allowlists/product-updates.txt, which covers it: while the CloudFront snapshot cannot be read it lists the last known published ranges plus the observed addresses outside them.",
    );
    expect(added[1]?.action).toContain("allowlists/product-updates.txt, which already lists it");
  });
});

describe("holdAllowlists: a group relying on an unreadable feed", () => {
  const build = (observations: HostObservation[]) =>
    buildAllowlists({
      catalogue: sharedGroup,
      observations,
      matchers: withoutCloudFront().matchers,
    });
  const group = (lists: { group: string; addresses: string[] }[]) =>
    lists.find((l) => l.group === "product-updates");

  it("keeps the last known published prefixes and rewrites the same content when nothing changed", () => {
    // Prepare
    const observations = steadyShared();
    const written = writtenWithRanges(observations);
    const [before] = buildAllowlists({
      catalogue: sharedGroup,
      observations,
      matchers: feeds().matchers,
    }).filter((l) => l.group === "product-updates");

    // Act
    const { allowlists, held } = holdAllowlists(build(observations), {
      catalogue: sharedGroup,
      unreadable: ["cloudfront"],
      written,
    });

    // Assess
    expect(group(allowlists)?.addresses).toEqual([
      "13.32.0.0/15",
      "52.84.0.0/15",
      "198.51.100.7",
      "2600:9000::/28",
    ]);
    expect(group(allowlists)).toEqual(before);
    expect(held.get("product-updates")).toEqual({ feeds: ["cloudfront"], keptAsWritten: false });
  });

  it("writes the other endpoints' changes and the observed addresses outside the last known ranges", () => {
    // Prepare
    const written = writtenWithRanges(steadyShared());
    const observations = steadyShared(
      observation(HOSTS.cloudfront, { active: ["13.32.1.10", "13.32.9.9", "203.0.113.9"] }),
      observation(MIRROR_HOST, { active: ["198.51.100.8"] }),
    );

    // Act
    const { allowlists } = holdAllowlists(build(observations), {
      catalogue: sharedGroup,
      unreadable: ["cloudfront"],
      written,
    });

    // Assess
    expect(group(allowlists)?.addresses).toEqual([
      "13.32.0.0/15",
      "52.84.0.0/15",
      "198.51.100.8",
      "203.0.113.9",
      "2600:9000::/28",
    ]);
  });

  it("leaves the group out (kept as last written) without a last written document", () => {
    // Act
    const { allowlists, held } = holdAllowlists(build(steadyShared()), {
      catalogue: sharedGroup,
      unreadable: ["cloudfront"],
      written: new Map(),
    });

    // Assess
    expect(group(allowlists)).toBeUndefined();
    expect(allowlists.map((l) => l.group)).toContain("ntp");
    expect(held.get("product-updates")).toEqual({ feeds: ["cloudfront"], keptAsWritten: true });
  });
});
