import { readFile } from "node:fs/promises";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { firewallFeedDepsFromEnv } from "#functions/commons/firewall-feed-deps";
import { createFirewallFeedHandler } from "#functions/firewall-feed";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { runDetectionCycle } from "#shared/detect/detection-cycle";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import type { CataloguesView } from "#shared/query/firewall-feed/feed-catalogues";
import type { ChangesPage, VersionView } from "#shared/query/firewall-feed/feed-queries";
import { awsModeEnv } from "#test/helpers/aws-env";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";
import { lambdaContext } from "#test/helpers/lambda-events";
import { startTestStack } from "#test/helpers/stack";

/**
 * The firewall feed function of a deployment watching two catalogues, configured as
 * serverless.yml configures it (DRIFTWATCH_CATALOGUE_IDS both, DRIFTWATCH_CATALOGUE_ID the
 * default), over what one real detection cycle of both wrote (loopback DNS serving both vendors'
 * hostnames, the embedded store): each catalogue's version, changes, Atom feed and allowlists
 * are its own, and a conditional GET is answered per catalogue.
 */

const CLEARSWIFT = "clearswift-seg-5.3";
const SOPHOS = "sophos-email-appliance";
const HOST = "abc123.execute-api.eu-west-1.amazonaws.com";
const context = lambdaContext({ functionName: "driftwatch-test-firewallFeed" });

let stack: EmbeddedStack;
let feed: ReturnType<typeof createFirewallFeedHandler>;
let catalogues: Catalogue[];

/** What the feed function answers a GET as API Gateway hands it over (after the authorizer). */
async function poll(path: string, query?: Record<string, string>, etag?: string) {
  const headers = {
    host: HOST,
    "x-forwarded-proto": "https",
    ...(etag ? { "if-none-match": etag } : {}),
  };
  const response = (await feed(
    {
      version: "2.0",
      routeKey: path.startsWith("/feed/allowlists/")
        ? "GET /feed/allowlists/{file}"
        : `GET ${path}`,
      rawPath: path,
      rawQueryString: new URLSearchParams(query).toString(),
      headers,
      ...(query ? { queryStringParameters: query } : {}),
      isBase64Encoded: false,
      requestContext: {
        requestId: "req-feed-2",
        http: { method: "GET", path, sourceIp: "198.51.100.7" },
        authorizer: { lambda: { tokenHashPrefix: "0123456789ab" } },
      },
    },
    context,
  )) as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: response.statusCode ?? 200,
    etag: `${response.headers?.etag ?? ""}`,
    body: response.body ?? "",
  };
}

const groupsOf = (id: string) =>
  new Set(catalogues.find((c) => c.id === id)?.endpoints.map((e) => e.group));

beforeAll(async () => {
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  stack = await startTestStack();
  feed = createFirewallFeedHandler(
    firewallFeedDepsFromEnv({
      ...awsModeEnv(stack),
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      DRIFTWATCH_CATALOGUE_ID: CLEARSWIFT,
      DRIFTWATCH_CATALOGUE_IDS: `${CLEARSWIFT},${SOPHOS}`,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    }),
  );
  catalogues = [
    await loadCatalogueFile(),
    await loadCatalogueFile("fixtures/catalogue/sophos-email-appliance.json"),
  ];
  const zones = await Promise.all(
    ["clearswift.zone", "sophos-email-appliance.zone"].map((f) =>
      readFile(`fixtures/dns/${f}`, "utf8"),
    ),
  );
  const dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
  dns.reload(zones.join("\n"));
  const resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  try {
    await runDetectionCycle(faultableCycleDeps(stack, resolver).deps, {
      catalogue: catalogues,
      runId: "cli-2026-12-03T20:00:00.000Z",
      now: new Date("2026-12-03T20:00:00.000Z"),
      deadline: Date.now() + 20_000,
      feeds: [
        { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-17-05") },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      feedOptions: { grace: DEFAULT_FEED_GRACE },
    });
  } finally {
    resolver.close();
    await dns.stop();
  }
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await stack?.stop();
});

describe("the firewall feed function serving two catalogues", () => {
  it("answers the default catalogue without ?catalogue, and each catalogue's own version and changes", async () => {
    const plain = JSON.parse((await poll("/feed/version")).body) as VersionView;
    const versions = new Map<string, VersionView>();
    const changes = new Map<string, ChangesPage>();
    for (const id of [CLEARSWIFT, SOPHOS]) {
      versions.set(id, JSON.parse((await poll("/feed/version", { catalogue: id })).body));
      const page = await poll("/feed/changes", { since: "0", catalogue: id });
      changes.set(id, JSON.parse(page.body));
    }

    expect(plain).toEqual(versions.get(CLEARSWIFT));
    for (const id of [CLEARSWIFT, SOPHOS]) {
      const version = versions.get(id);
      const page = changes.get(id);
      expect(version?.catalogueId).toBe(id);
      // Every group with an allowlist (a group of hostless endpoints has none), its own only.
      const groups = Object.keys(version?.groups ?? {});
      expect(groups.length, id).toBeGreaterThan(0);
      expect(
        groups.filter((group) => !groupsOf(id).has(group)),
        id,
      ).toEqual([]);
      expect(page?.changes.map((c) => c.version)).toEqual(
        Array.from({ length: version?.version ?? 0 }, (_, i) => i + 1),
      );
      expect(new Set(page?.changes.map((c) => c.catalogueId))).toEqual(new Set([id]));
      expect(page?.changes.every((c) => groupsOf(id).has(c.group))).toBe(true);
    }
    expect(Object.keys(versions.get(SOPHOS)?.groups ?? {}).sort()).toEqual(
      [...groupsOf(SOPHOS)].sort(),
    );
    const listed = JSON.parse((await poll("/feed/catalogues")).body) as CataloguesView;
    expect(listed).toEqual({
      defaultCatalogueId: CLEARSWIFT,
      catalogues: [versions.get(CLEARSWIFT), versions.get(SOPHOS)],
    });
  });

  it("answers a conditional GET per catalogue: 304 for its own ETag, 200 for the other's", async () => {
    for (const [path, query] of [
      ["/feed/version", {}],
      ["/feed/changes", { since: "0" }],
      ["/feed/changes.atom", {}],
    ] as const) {
      const plain = await poll(path, query);
      const sophos = await poll(path, { ...query, catalogue: SOPHOS });
      expect(plain.etag, path).toMatch(/^"[0-9a-f]{64}"$/);
      expect(plain.etag, path).not.toBe(sophos.etag);

      const sophosAgain = await poll(path, { ...query, catalogue: SOPHOS }, sophos.etag);
      const sophosWithOther = await poll(path, { ...query, catalogue: SOPHOS }, plain.etag);
      const plainWithSophos = await poll(path, query, sophos.etag);
      const plainAgain = await poll(path, query, plain.etag);

      expect(
        [sophosAgain, sophosWithOther, plainWithSophos, plainAgain].map((r) => r.statusCode),
        path,
      ).toEqual([304, 200, 200, 304]);
    }
  });

  it("keeps each catalogue's Atom feed and allowlists to its own groups", async () => {
    const atom = (await poll("/feed/changes.atom", { catalogue: SOPHOS })).body;
    const terms = [...atom.matchAll(/<category term="([^"]+)"\/>/g)].map((m) => m[1]);
    const own = await poll("/feed/allowlists/sophos-live-protection.txt", { catalogue: SOPHOS });
    const plain = await poll("/feed/allowlists/sophos-live-protection.txt");
    const other = await poll("/feed/allowlists/sophos-live-protection.txt", {
      catalogue: CLEARSWIFT,
    });
    const unknown = await poll("/feed/version", { catalogue: "no-such-vendor" });

    expect(atom).toContain(`<id>urn:driftwatch:${SOPHOS}:allowlist-changes</id>`);
    expect(terms.length).toBeGreaterThan(0);
    expect(terms.every((group) => groupsOf(SOPHOS).has(group ?? ""))).toBe(true);
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain(`(catalogue ${SOPHOS})`);
    expect(plain).toEqual(own);
    expect(other.statusCode).toBe(404);
    expect(JSON.parse(other.body).error).toBe(
      `no allowlist for group "sophos-live-protection" in catalogue "${CLEARSWIFT}"`,
    );
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatch(/^no catalogue "no-such-vendor" in this feed/);
  });
});
