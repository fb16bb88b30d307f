import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { FeedId, FeedIngestResult } from "#shared/domain/feed";
import type { HttpFeedFetcherOptions } from "#shared/observe/feeds/http-fetcher";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import type { FeedPointer } from "#shared/observe/feeds/ports";
import type { IpSpaceChangedNotification } from "#shared/observe/feeds/schema";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  AWS_VERSIONS,
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  fileUrl,
  readAwsIpRanges,
} from "#test/helpers/feed-fixtures";
import { type FeedServer, jsonRoute, startFeedServer } from "#test/helpers/feed-server";
import { startTestStack } from "#test/helpers/stack";

/**
 * Every bad input is rejected (or found unreachable, or ignored as stale) with a reason naming
 * the feed, and the stored current snapshot of both feeds is exactly what it was before.
 */

const GRACE = { runs: 3, hours: 6 };
const NOW = new Date("2026-08-21T21:20:00Z");
const STORED = "2026-08-21-18-57-05";
const NEWER = "2026-08-21-21-17-05";

let stack: EmbeddedStack;
let server: FeedServer;
let tempDir: string;
let seeded: Record<FeedId, FeedPointer | null>;
let streamedBeforeAbort = 0;
let closedPort: number;

const encode = (text: string) => new TextEncoder().encode(text);

function editedNewer(
  newer: Record<string, unknown>,
  edit: (doc: Record<string, unknown[]>) => void,
) {
  const doc = structuredClone(newer) as Record<string, unknown[]>;
  edit(doc);
  return encode(JSON.stringify(doc));
}

function send(status: number, body = "", headers: Record<string, string> = {}) {
  return (_request: unknown, response: ServerResponse) => {
    response.writeHead(status, headers).end(body);
  };
}

beforeAll(async () => {
  stack = await startTestStack();
  closedPort = await closedLoopbackPort();
  tempDir = await mkdtemp(join(tmpdir(), "driftwatch-feed-faults-"));
  const newerBytes = await readAwsIpRanges(NEWER);
  const newer = JSON.parse(new TextDecoder().decode(newerBytes)) as Record<string, unknown>;
  const storedReformatted = encode(
    JSON.stringify(JSON.parse(new TextDecoder().decode(await readAwsIpRanges(STORED)))),
  );
  const html =
    "<!DOCTYPE html>\n<html><head><title>503</title></head><body>Service Unavailable</body></html>";

  server = await startFeedServer({
    "/html": send(200, html, { "content-type": "text/html" }),
    "/truncated": jsonRoute(newerBytes.subarray(0, 1_500_000)),
    "/empty": jsonRoute(editedNewer(newer, (doc) => (doc.prefixes = []))),
    "/collapsed": jsonRoute(
      editedNewer(newer, (doc) => (doc.prefixes = (doc.prefixes ?? []).slice(0, 4000))),
    ),
    "/invalid-cidr": jsonRoute(
      editedNewer(newer, (doc) => {
        (doc.prefixes?.[10] as { ip_prefix: string }).ip_prefix = "52.95.245.0/33";
      }),
    ),
    "/newer": jsonRoute(newerBytes),
    "/older": jsonRoute(await readAwsIpRanges("2026-08-21-18-17-05")),
    "/same-token": jsonRoute(storedReformatted),
    "/status-500": send(500, "oops"),
    "/status-404": send(404, "no such feed"),
    "/hangs": () => {},
    "/stalls-mid-body": (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"syncToken":"1787347025","prefixes":[');
    },
    "/loop-a": send(302, "", { location: "/loop-b" }),
    "/loop-b": send(302, "", { location: "/loop-a" }),
    ...Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [
        `/hop-${i}`,
        send(301, "", { location: `/hop-${i + 1}` }),
      ]),
    ),
    "/declared-huge": (_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": 50_000_000 });
      response.write("{");
    },
    "/endless": (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (streamedBeforeAbort < 64 * 1024 * 1024) {
          streamedBeforeAbort += chunk.byteLength;
          if (!response.write(chunk)) {
            response.once("drain", pump);
            return;
          }
        }
        response.end();
      };
      response.on("close", () => response.removeAllListeners("drain"));
      pump();
    },
  });

  const [aws, cloudfront] = await ingestFeeds(feedDeps(stack), {
    feeds: [
      { id: "aws-ip-ranges", url: awsIpRangesUrl(STORED) },
      { id: "cloudfront", url: CLOUDFRONT_URL },
    ],
    now: new Date("2026-08-21T19:00:00Z"),
    options: { grace: GRACE },
  });
  expect([aws?.status, cloudfront?.status]).toEqual(["updated", "updated"]);
  const { pointers } = feedDeps(stack);
  seeded = {
    "aws-ip-ranges": await pointers.get("aws-ip-ranges"),
    cloudfront: await pointers.get("cloudfront"),
  };
});

afterAll(async () => {
  await server?.close();
  await stack?.stop();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

async function ingest(
  feed: FeedId,
  url: string,
  extra: {
    notification?: IpSpaceChangedNotification;
    fetcher?: Partial<HttpFeedFetcherOptions>;
  } = {},
): Promise<FeedIngestResult> {
  const [result] = await ingestFeeds(feedDeps(stack, extra.fetcher), {
    feeds: [{ id: feed, url }],
    now: NOW,
    ...(extra.notification ? { notification: extra.notification } : {}),
    options: { grace: GRACE },
  });
  if (result === undefined) throw new Error("no result");
  return result;
}

async function expectStoredSnapshotsUnchanged(): Promise<void> {
  const { pointers } = feedDeps(stack);
  expect(await pointers.get("aws-ip-ranges")).toEqual(seeded["aws-ip-ranges"]);
  expect(await pointers.get("cloudfront")).toEqual(seeded.cloudfront);
}

const notification = (md5: string, syncToken: string): IpSpaceChangedNotification => ({
  md5,
  syncToken,
  createTime: "2026-08-21T21:17:05+00:00",
  url: "https://ip-ranges.amazonaws.com/ip-ranges.json",
});

describe("a corrupt ip-ranges.json is rejected and the last good snapshot stays current", () => {
  it.each([
    [
      "an HTML error page",
      "/html",
      /^feed aws-ip-ranges rejected: HTML page instead of JSON \(content-type text\/html/,
    ],
    [
      "a truncated body",
      "/truncated",
      /^feed aws-ip-ranges rejected: truncated body: the JSON ends early after 1500000 bytes$/,
    ],
    [
      "an empty prefix list",
      "/empty",
      /^feed aws-ip-ranges rejected: empty list: prefixes has no entries$/,
    ],
    [
      "a collapsed prefix count",
      "/collapsed",
      /^feed aws-ip-ranges rejected: prefix count collapsed: v4 10666 -> 4000 \(below 50% of the previous snapshot\)$/,
    ],
    [
      "an invalid CIDR",
      "/invalid-cidr",
      /^feed aws-ip-ranges rejected: invalid CIDR "52\.95\.245\.0\/33" at prefixes\[10\]\.ip_prefix/,
    ],
    [
      "an HTTP 404",
      "/status-404",
      /^feed aws-ip-ranges rejected: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/status-404$/,
    ],
    [
      "a redirect loop",
      "/loop-a",
      /^feed aws-ip-ranges rejected: redirect loop: http:\/\/127\.0\.0\.1:\d+\/loop-a -> http:\/\/127\.0\.0\.1:\d+\/loop-b -> http:\/\/127\.0\.0\.1:\d+\/loop-a$/,
    ],
    [
      "too many redirects",
      "/hop-0",
      /^feed aws-ip-ranges rejected: too many redirects \(more than 5\) from http:\/\/127\.0\.0\.1:\d+\/hop-0$/,
    ],
    [
      "a declared body over the cap",
      "/declared-huge",
      /^feed aws-ip-ranges rejected: body too large: Content-Length 50000000 exceeds the 8388608-byte cap$/,
    ],
  ])("rejects %s", async (_case, path, reason) => {
    // Act
    const result = await ingest("aws-ip-ranges", server.url(path));

    // Assess
    expect(result.status).toBe("rejected");
    expect(result.reason).toMatch(reason);
    expect(result.current).toEqual(seeded["aws-ip-ranges"]?.meta);
    await expectStoredSnapshotsUnchanged();
  });

  it("aborts a streamed body past the size cap instead of downloading it all", async () => {
    const result = await ingest("aws-ip-ranges", server.url("/endless"), {
      fetcher: { maxBytes: 1_000_000 },
    });

    expect(result.status).toBe("rejected");
    expect(result.reason).toBe(
      "feed aws-ip-ranges rejected: body too large: more than 1000000 bytes, download aborted",
    );
    expect(streamedBeforeAbort).toBeLessThan(16 * 1024 * 1024);
    await expectStoredSnapshotsUnchanged();
  });

  it("rejects a body whose md5 differs from the notification for that syncToken", async () => {
    const result = await ingest("aws-ip-ranges", server.url("/newer"), {
      notification: notification("0123456789abcdef0123456789abcdef", AWS_VERSIONS[NEWER].syncToken),
    });

    expect(result.status).toBe("rejected");
    expect(result.reason).toBe(
      `feed aws-ip-ranges rejected: md5 mismatch for syncToken 1787347025: notification says 0123456789abcdef0123456789abcdef, body has ${AWS_VERSIONS[NEWER].md5}`,
    );
    await expectStoredSnapshotsUnchanged();
  });

  it("rejects a CloudFront list served as an HTML page, naming the CloudFront feed", async () => {
    const result = await ingest("cloudfront", server.url("/html"));

    expect(result.status).toBe("rejected");
    expect(result.reason).toMatch(/^feed cloudfront rejected: HTML page instead of JSON/);
    expect(result.current).toEqual(seeded.cloudfront?.meta);
    await expectStoredSnapshotsUnchanged();
  });

  it("rejects a port that fetch refuses to use as a configuration problem", async () => {
    const result = await ingest("aws-ip-ranges", "http://127.0.0.1:1/ip-ranges.json");

    expect(result.status).toBe("rejected");
    expect(result.reason).toBe(
      "feed aws-ip-ranges rejected: port 1 of http://127.0.0.1:1/ip-ranges.json is blocked by fetch",
    );
    await expectStoredSnapshotsUnchanged();
  });

  it("rejects a URL scheme it cannot fetch", async () => {
    const result = await ingest("aws-ip-ranges", "ftp://ip-ranges.amazonaws.com/ip-ranges.json");

    expect(result.reason).toBe("feed aws-ip-ranges rejected: unsupported URL scheme ftp:");
    await expectStoredSnapshotsUnchanged();
  });

  it("rejects a gzip file that gunzips past the size cap", async () => {
    const result = await ingest("aws-ip-ranges", awsIpRangesUrl(NEWER), {
      fetcher: { maxBytes: 1_000_000 },
    });

    expect(result.status).toBe("rejected");
    expect(result.reason).toMatch(
      /^feed aws-ip-ranges rejected: body too large: file:.*gunzips to more than 1000000 bytes$/,
    );
    await expectStoredSnapshotsUnchanged();
  });
});

describe("an unreachable feed is reported apart from a rejected one", () => {
  it.each([
    [
      "an HTTP 500",
      () => server.url("/status-500"),
      /^feed aws-ip-ranges unreachable: HTTP 500 Internal Server Error from http:/,
    ],
    [
      "a server that never answers",
      () => server.url("/hangs"),
      /^feed aws-ip-ranges unreachable: timed out after 300 ms fetching http:\/\/127\.0\.0\.1:\d+\/hangs$/,
    ],
    [
      "a body that stalls",
      () => server.url("/stalls-mid-body"),
      /^feed aws-ip-ranges unreachable: timed out after 300 ms/,
    ],
    [
      "a refused connection",
      () => `http://127.0.0.1:${closedPort}/ip-ranges.json`,
      /^feed aws-ip-ranges unreachable: ECONNREFUSED fetching http:\/\/127\.0\.0\.1:\d+\/ip-ranges\.json$/,
    ],
    [
      "a name that does not resolve",
      () => "http://ip-ranges.driftwatch.invalid/ip-ranges.json",
      /^feed aws-ip-ranges unreachable: (ENOTFOUND|EAI_AGAIN) fetching/,
    ],
    [
      "a missing local file",
      () => fileUrl(join(tempDir, "missing.json")),
      /^feed aws-ip-ranges unreachable: ENOENT reading file:/,
    ],
  ])("reports %s as unreachable", async (_case, url, reason) => {
    const result = await ingest("aws-ip-ranges", url(), { fetcher: { timeoutMs: 300 } });

    expect(result.status).toBe("unreachable");
    expect(result.reason).toMatch(reason);
    expect(result.current).toEqual(seeded["aws-ip-ranges"]?.meta);
    expect(result.confirmedAt).toBe(seeded["aws-ip-ranges"]?.confirmedAt);
    await expectStoredSnapshotsUnchanged();
  });
});

describe("an out-of-order version is ignored, not an error", () => {
  it("ignores a fetched ip-ranges.json older than the stored one", async () => {
    const result = await ingest("aws-ip-ranges", server.url("/older"));

    expect(result.status).toBe("stale-ignored");
    expect(result.reason).toBe(
      "fetched syncToken 1787336225 is not newer than the stored 1787338625",
    );
    await expectStoredSnapshotsUnchanged();
  });

  it("ignores different bytes carrying the stored syncToken", async () => {
    const result = await ingest("aws-ip-ranges", server.url("/same-token"));

    expect(result.status).toBe("stale-ignored");
    expect(result.reason).toBe(
      "fetched syncToken 1787338625 is not newer than the stored 1787338625",
    );
    await expectStoredSnapshotsUnchanged();
  });

  it("ignores a late notification for an older version without downloading anything", async () => {
    const before = server.requests.length;

    const result = await ingest("aws-ip-ranges", server.url("/newer"), {
      notification: notification(AWS_VERSIONS["2026-08-21-18-17-05"].md5, "1787336225"),
    });

    expect(result.status).toBe("stale-ignored");
    expect(result.reason).toBe(
      "notification syncToken 1787336225 is not newer than the stored 1787338625",
    );
    expect(server.requests.length).toBe(before);
    await expectStoredSnapshotsUnchanged();
  });
});

describe("feeds are independent", () => {
  it("a broken ip-ranges.json does not stop the CloudFront list, and the other way round", async () => {
    const list = join(tempDir, "list-cloudfront-ips.json");
    await writeFile(list, "<html>maintenance</html>");

    const results = await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: server.url("/status-500") },
        { id: "cloudfront", url: fileUrl(list) },
      ],
      now: NOW,
      options: { grace: GRACE },
    });

    expect(results.map((r) => [r.feed, r.status])).toEqual([
      ["aws-ip-ranges", "unreachable"],
      ["cloudfront", "rejected"],
    ]);
    await expectStoredSnapshotsUnchanged();
  });
});
