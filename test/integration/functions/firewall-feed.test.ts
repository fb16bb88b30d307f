import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { feedAuthorizerDepsFromEnv } from "#functions/commons/feed-authorizer-deps";
import { firewallFeedDepsFromEnv } from "#functions/commons/firewall-feed-deps";
import { createFeedAuthorizerHandler } from "#functions/feed-authorizer";
import { createFirewallFeedHandler } from "#functions/firewall-feed";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { allowlistKeys } from "#shared/allowlists/render";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { runDetectionCycle } from "#shared/detect/detection-cycle";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import type { ChangesPage, VersionView } from "#shared/query/firewall-feed/feed-queries";
import { hashFeedToken } from "#shared/query/firewall-feed/feed-token";
import { awsModeEnv } from "#test/helpers/aws-env";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";
import { lambdaContext } from "#test/helpers/lambda-events";
import { startTestStack } from "#test/helpers/stack";

/**
 * The firewall feed's two functions on real data: two real detection cycles (loopback DNS, the
 * shipped feeds, the embedded store: dynalite and fauxqs S3) write the allowlists and their
 * versions; then a poller's GETs go as API Gateway sends them, first through the token authorizer
 * (SSM mocked: it holds the token's hash), then, when it lets them in, to the feed function,
 * whose DynamoDB and S3 clients are built from its environment as in Lambda.
 */

const CATALOGUE_ID = "clearswift-seg-5.3";
const PARAMETER = "/driftwatch/test/feed-token-sha256";
const TOKEN = "pan-os-edl-token-3f9a1c7e5b2d";
const HOST = "abc123.execute-api.eu-west-1.amazonaws.com";
const context = lambdaContext({ functionName: "driftwatch-test-firewallFeed" });

let stack: EmbeddedStack;
let feed: ReturnType<typeof createFirewallFeedHandler>;
let authorizer: ReturnType<typeof createFeedAuthorizerHandler>;
/** The allowlist version after the first cycle, and after the second. */
let firstVersion: number;
const ssm = mockClient(SSMClient);

async function detectionCycle(zoneFile: string, at: string): Promise<void> {
  const dns: ZoneDnsServer = await startZoneDnsServer({ zoneFile });
  const resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  try {
    const { deps } = faultableCycleDeps(stack, resolver);
    await runDetectionCycle(deps, {
      catalogue: await loadCatalogueFile(),
      runId: `cli-${at}`,
      now: new Date(at),
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
}

/** The HTTP API event (payload 2.0) of a GET, and the authorizer's event for it. */
function request(path: string, headers: Record<string, string>) {
  const [rawPath = path, rawQueryString = ""] = path.split("?");
  const query = Object.fromEntries(new URLSearchParams(rawQueryString));
  const allHeaders = { host: HOST, "x-forwarded-proto": "https", ...headers };
  const routeKey = rawPath.startsWith("/feed/allowlists/")
    ? "GET /feed/allowlists/{file}"
    : `GET ${rawPath}`;
  const http = { method: "GET", path: rawPath, protocol: "HTTP/1.1", sourceIp: "198.51.100.7" };
  const requestContext = {
    accountId: "123456789012",
    apiId: "abc123",
    requestId: "req-1",
    routeKey,
    stage: "$default",
    http,
  };
  return {
    authorizer: {
      version: "2.0",
      type: "REQUEST",
      routeKey,
      rawPath,
      rawQueryString,
      headers: allHeaders,
      requestContext,
    },
    feed: (authorizerContext: unknown) => ({
      version: "2.0",
      routeKey,
      rawPath,
      rawQueryString,
      headers: allHeaders,
      ...(rawQueryString === "" ? {} : { queryStringParameters: query }),
      isBase64Encoded: false,
      requestContext: { ...requestContext, authorizer: { lambda: authorizerContext } },
    }),
  };
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What API Gateway answers a poller: 401 without the header, 403 if denied, else the feed's. */
async function poll(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const events = request(path, headers);
  if (headers.authorization === undefined) return { statusCode: 401, headers: {}, body: "" };
  const decision = await authorizer(events.authorizer, context);
  if (!decision.isAuthorized) return { statusCode: 403, headers: {}, body: "" };
  const response = (await feed(
    events.feed(decision.context),
    context,
  )) as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: response.statusCode ?? 200,
    headers: (response.headers ?? {}) as Record<string, string>,
    body: response.body ?? "",
  };
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = { authorization: `Basic ${Buffer.from(`panos:${TOKEN}`).toString("base64")}` };

beforeAll(async () => {
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  stack = await startTestStack();
  const env = {
    ...awsModeEnv(stack),
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    DRIFTWATCH_CATALOGUE_ID: CATALOGUE_ID,
    DRIFTWATCH_FEED_TOKEN_PARAMETER: PARAMETER,
    POWERTOOLS_LOG_LEVEL: "SILENT",
  };
  ssm.on(GetParameterCommand, { Name: PARAMETER, WithDecryption: true }).resolves({
    Parameter: { Name: PARAMETER, Type: "SecureString", Value: hashFeedToken(TOKEN) },
  });
  feed = createFirewallFeedHandler(firewallFeedDepsFromEnv(env));
  authorizer = createFeedAuthorizerHandler(feedAuthorizerDepsFromEnv(env));
  await detectionCycle("fixtures/dns/clearswift.zone", "2026-12-03T20:00:00.000Z");
  firstVersion = (JSON.parse((await poll("/feed/version", bearer)).body) as VersionView).version;
  // A host moved, a rotating host's new addresses, a SERVFAIL, a private answer.
  await detectionCycle("fixtures/dns/clearswift-v2.zone", "2026-12-03T20:15:00.000Z");
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  ssm.restore();
  await stack?.stop();
});

describe("the firewall feed after real detection cycles", () => {
  it("serves a group's EDL as written, with a strong ETag, then 304 with no body while unchanged", async () => {
    // Prepare
    const key = allowlistKeys("av-cloud-lookups").txt;
    const written = await createS3ObjectArchive({
      s3: stack.clients.s3,
      bucketName: stack.bucketName,
    }).get(key);

    // Act
    const first = await poll("/feed/allowlists/av-cloud-lookups.txt", basic);
    const again = await poll("/feed/allowlists/av-cloud-lookups.txt", {
      ...bearer,
      "if-none-match": first.headers.etag ?? "",
    });

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(first.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(first.body).toBe(new TextDecoder().decode(written?.bytes));
    // The second cycle's new addresses of a rotating host (cls.sophosxl.net).
    expect(first.body).toContain("104.18.12.139");
    expect(again).toEqual({
      statusCode: 304,
      headers: expect.objectContaining({ etag: first.headers.etag }),
      body: "",
    });
  });

  it("lists every change since 0, and since the first cycle's version only the second cycle's", async () => {
    // Act
    const all = JSON.parse((await poll("/feed/changes?since=0", bearer)).body) as ChangesPage;
    const later = JSON.parse(
      (await poll(`/feed/changes?since=${firstVersion}`, bearer)).body,
    ) as ChangesPage;
    const version = JSON.parse((await poll("/feed/version", bearer)).body) as VersionView;

    // Assess
    expect(firstVersion).toBeGreaterThan(0);
    expect(version.version).toBeGreaterThan(firstVersion);
    expect(all.version).toBe(version.version);
    expect(all.changes.map((change) => change.version)).toEqual(
      Array.from({ length: version.version }, (_, index) => index + 1),
    );
    expect(all.next).toBeNull();
    expect(later.changes.map((change) => change.version)).toEqual(
      all.changes.filter((change) => change.version > firstVersion).map((change) => change.version),
    );
    expect(later.changes.map(({ group, added, removed }) => ({ group, added, removed }))).toEqual([
      { group: "av-cloud-lookups", added: ["104.18.12.139", "172.64.152.49"], removed: [] },
    ]);
    expect(later.changes[0]?.eventIds.length).toBeGreaterThan(0);
  });

  it("answers 404 for a group without an allowlist and 400 naming a bad since", async () => {
    const unknown = await poll("/feed/allowlists/no-such-group.txt", bearer);
    const badSince = await poll("/feed/changes?since=yesterday", bearer);
    const missingSince = await poll("/feed/changes", bearer);
    const ahead = await poll("/feed/changes?since=999999", bearer);

    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: 'no allowlist for group "no-such-group"' });
    expect(badSince.statusCode).toBe(400);
    expect(JSON.parse(badSince.body).error).toBe('since must be a whole number, not "yesterday"');
    expect(missingSince.statusCode).toBe(400);
    expect(JSON.parse(missingSince.body).error).toMatch(/^since is required/);
    expect(ahead.statusCode).toBe(400);
    expect(JSON.parse(ahead.body).error).toMatch(/^since 999999 is after the current version/);
  });

  it("serves the Atom feed with links under the API's /feed URL", async () => {
    const atom = await poll("/feed/changes.atom", bearer);

    expect(atom.statusCode).toBe(200);
    expect(atom.headers["content-type"]).toBe("application/atom+xml; charset=utf-8");
    expect(atom.body).toContain(`<link rel="self" href="https://${HOST}/feed/changes.atom"/>`);
    expect(atom.body).toContain(`https://${HOST}/feed/allowlists/license-validation.txt`);
  });

  it("lets no request in without the token", async () => {
    const none = await poll("/feed/allowlists/license-validation.txt");
    const wrong = await poll("/feed/allowlists/license-validation.txt", {
      authorization: "Bearer guessed-token",
    });

    expect(none.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(403);
  });
});
