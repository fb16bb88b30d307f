import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { FeedId, FeedIngestResult, FeedPrefix } from "#shared/domain/feed";
import type { FeedGrace } from "#shared/observe/feeds/damping";
import { FeedPointerConflictError } from "#shared/observe/feeds/errors";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { loadCurrentRangeMatchers } from "#shared/observe/feeds/load-matchers";
import type { FeedFetcher, FeedPointer } from "#shared/observe/feeds/ports";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  AWS_VERSIONS,
  type AwsVersion,
  awsIpRangesUrl,
  awsSnapshot,
  CLOUDFRONT_URL,
  readAwsIpRanges,
} from "#test/helpers/feed-fixtures";
import { jsonRoute, startFeedServer } from "#test/helpers/feed-server";
import { startTestStack } from "#test/helpers/stack";

const GRACE: FeedGrace = { runs: 3, hours: 6 };
const FLAP = "1.178.86.0/24";
const show = (prefixes: FeedPrefix[] | undefined) =>
  (prefixes ?? []).map((p) => `${p.prefix} ${p.service} ${p.region}`);

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

async function ingestAws(
  version: AwsVersion | string,
  at: string,
  extra: { grace?: FeedGrace; fetcher?: FeedFetcher } = {},
): Promise<FeedIngestResult> {
  const url = version in AWS_VERSIONS ? awsIpRangesUrl(version as AwsVersion) : version;
  const deps = feedDeps(stack);
  const [result] = await ingestFeeds(
    { ...deps, ...(extra.fetcher ? { fetcher: extra.fetcher } : {}) },
    {
      feeds: [{ id: "aws-ip-ranges", url }],
      now: new Date(at),
      options: { grace: extra.grace ?? GRACE },
    },
  );
  if (result === undefined) throw new Error("no result");
  return result;
}

async function archivedKeys(): Promise<string[]> {
  const listing = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "feeds/" }),
  );
  return (listing.Contents ?? []).map((object) => object.Key ?? "").sort();
}

async function pointer(feed: FeedId): Promise<FeedPointer | null> {
  return feedDeps(stack).pointers.get(feed);
}

describe("archiving and pointing at accepted snapshots", () => {
  it("archives the first snapshot content-addressed with its metadata and records it as the current pointer", async () => {
    // Act
    const [aws, cloudfront] = await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-57-05") },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      now: new Date("2026-08-21T19:00:00Z"),
      options: { grace: GRACE },
    });

    // Assess
    const sha = aws?.current?.sha256 ?? "";
    expect(aws?.status).toBe("updated");
    expect(aws?.current).toEqual({
      feed: "aws-ip-ranges",
      sha256: sha,
      syncToken: "1787338625",
      createDate: "2026-08-21-18-57-05",
      fetchedAt: "2026-08-21T19:00:00.000Z",
      source: awsIpRangesUrl("2026-08-21-18-57-05"),
      archiveKey: `feeds/aws-ip-ranges/${sha}.json`,
      prefixCount: { v4: 10666, v6: 6160 },
    });
    expect(aws?.diff?.from).toBeNull();
    expect(aws?.diff?.added).toHaveLength(10666 + 6160);
    expect(cloudfront?.status).toBe("updated");
    expect(cloudfront?.current?.archiveKey).toBe(
      "feeds/cloudfront/900b79b60c3b65a6b390fd1360cb66b26c3ac3bafc754dbb51ff20a66a9af494.json",
    );

    const head = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucketName, Key: `feeds/aws-ip-ranges/${sha}.json` }),
    );
    expect(head.ContentType).toBe("application/json");
    expect(head.ContentLength).toBe((await readAwsIpRanges("2026-08-21-18-57-05")).byteLength);
    expect(head.Metadata).toMatchObject({
      synctoken: "1787338625",
      createdate: "2026-08-21-18-57-05",
      fetchedat: "2026-08-21T19:00:00.000Z",
      source: awsIpRangesUrl("2026-08-21-18-57-05"),
      sha256: sha,
    });

    const { Item } = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: "FEED#aws-ip-ranges", sk: "CURRENT" },
      }),
    );
    expect(Item).toMatchObject({
      kind: "feed-pointer",
      feed: "aws-ip-ranges",
      version: 1,
      meta: { sha256: sha, syncToken: "1787338625" },
      damping: { pending: [] },
      confirmedAt: "2026-08-21T19:00:00.000Z",
    });
  });

  it("diffs consecutive real versions and absorbs the 1.178.86.0/24 flap end to end", async () => {
    // Prepare
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");

    // Act
    const withdrawn = await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z");
    const back = await ingestAws("2026-08-21-22-37-05", "2026-08-21T22:40:00Z");

    // Assess
    expect(withdrawn.status).toBe("updated");
    expect(withdrawn.diff?.from?.syncToken).toBe("1787338625");
    expect(withdrawn.diff?.to.syncToken).toBe("1787347025");
    expect(show(withdrawn.diff?.added)).toEqual([
      "23.254.40.0/23 AMAZON ca-central-1",
      "23.254.40.0/23 EC2 ca-central-1",
    ]);
    expect(withdrawn.diff?.removed).toEqual([]);
    expect(show(withdrawn.diff?.pendingRemovals)).toEqual([
      `${FLAP} AMAZON ap-southeast-3`,
      `${FLAP} EC2 ap-southeast-3`,
    ]);
    expect(back.status).toBe("updated");
    expect(back.diff?.added).toEqual([]);
    expect(back.diff?.removed).toEqual([]);
    expect(back.diff?.pendingRemovals).toEqual([]);
    expect(await archivedKeys()).toHaveLength(3);
    expect((await pointer("aws-ip-ranges"))?.version).toBe(3);
  });

  it("counts the withdrawal on an unchanged ingest once the grace has passed", async () => {
    const grace = { runs: 2, hours: 1 };
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z", { grace });
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", { grace });

    const early = await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:50:00Z", { grace });
    const due = await ingestAws("2026-08-21-21-17-05", "2026-08-21T22:20:00Z", { grace });

    expect(early.status).toBe("unchanged");
    expect(early.diff).toBeUndefined();
    expect(due.status).toBe("unchanged");
    expect(due.diff?.added).toEqual([]);
    expect(show(due.diff?.removed)).toEqual([
      `${FLAP} AMAZON ap-southeast-3`,
      `${FLAP} EC2 ap-southeast-3`,
    ]);
    expect((await pointer("aws-ip-ranges"))?.damping.pending).toEqual([]);
  });

  it("records an unchanged feed as confirmed without writing the archive again", async () => {
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z");
    const key = (await pointer("aws-ip-ranges"))?.meta.archiveKey ?? "";
    const before = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucketName, Key: key }),
    );

    const result = await ingestAws("2026-08-21-21-17-05", "2026-08-21T22:20:00Z");

    expect(result.status).toBe("unchanged");
    expect(result.confirmedAt).toBe("2026-08-21T22:20:00.000Z");
    const after = await pointer("aws-ip-ranges");
    expect(after?.confirmedAt).toBe("2026-08-21T22:20:00.000Z");
    expect(after?.meta.fetchedAt).toBe("2026-08-21T21:20:00.000Z");
    const head = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucketName, Key: key }),
    );
    expect(head.Metadata?.fetchedat).toBe(before.Metadata?.fetchedat);
    expect(await archivedKeys()).toEqual([key]);
  });

  it("accepts a new snapshot without a diff when the previous one is gone from the archive", async () => {
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");
    const key = (await pointer("aws-ip-ranges"))?.meta.archiveKey ?? "";
    await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.bucketName, Key: key }));

    const result = await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z");

    expect(result.status).toBe("updated");
    expect(result.diff).toBeUndefined();
    expect((await pointer("aws-ip-ranges"))?.meta.syncToken).toBe("1787347025");
  });
});

describe("conditional requests", () => {
  it("sends the stored ETag and Last-Modified and takes a 304 as unchanged without a download", async () => {
    // Prepare
    const bytes = await readAwsIpRanges("2026-08-21-21-17-05");
    let bodiesServed = 0;
    const route = jsonRoute(bytes, '"ip-ranges-1787347025"');
    const server = await startFeedServer({
      "/ip-ranges.json": (request, response) => {
        if (request.headers["if-none-match"] === undefined) bodiesServed++;
        route(request, response);
      },
    });
    try {
      const url = server.url("/ip-ranges.json");
      const first = await ingestAws(url, "2026-08-21T21:20:00Z");

      // Act
      const second = await ingestAws(url, "2026-08-21T22:20:00Z");

      // Assess
      expect(first.status).toBe("updated");
      expect(second.status).toBe("unchanged");
      expect(second.current).toEqual(first.current);
      expect(bodiesServed).toBe(1);
      expect(server.requests.at(-1)).toEqual({
        path: "/ip-ranges.json",
        ifNoneMatch: '"ip-ranges-1787347025"',
        ifModifiedSince: "Fri, 21 Aug 2026 21:17:05 GMT",
      });
      expect((await pointer("aws-ip-ranges"))?.confirmedAt).toBe("2026-08-21T22:20:00.000Z");
    } finally {
      await server.close();
    }
  });

  it("follows a redirect to the feed and records the final URL as the source", async () => {
    const bytes = await readAwsIpRanges("2026-08-21-21-17-05");
    const server = await startFeedServer({
      "/moved": (_request, response) => {
        response.writeHead(301, { location: "/ip-ranges.json" }).end();
      },
      "/ip-ranges.json": jsonRoute(bytes),
    });
    try {
      const result = await ingestAws(server.url("/moved"), "2026-08-21T21:20:00Z");

      expect(result.status).toBe("updated");
      expect(result.current?.source).toBe(server.url("/ip-ranges.json"));
    } finally {
      await server.close();
    }
  });
});

describe("concurrent ingests", () => {
  /** The real fetcher, held until `parties` fetches have started (all have read the pointer). */
  function barrierFetcher(parties: number): FeedFetcher {
    const real = feedDeps(stack).fetcher;
    let arrived = 0;
    let release: () => void = () => {};
    const allArrived = new Promise<void>((resolve) => {
      release = resolve;
    });
    return {
      async fetch(request) {
        arrived++;
        if (arrived === parties) release();
        await allArrived;
        return real.fetch(request);
      },
    };
  }

  it("lets exactly one of two ingests of different new versions replace the pointer", async () => {
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");
    const fetcher = barrierFetcher(2);

    const results = await Promise.all([
      ingestAws("2026-08-21-21-17-05", "2026-08-21T22:40:00Z", { fetcher }),
      ingestAws("2026-08-21-22-37-05", "2026-08-21T22:40:00Z", { fetcher }),
    ]);

    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual(["stale-ignored", "updated"]);
    const winner = results.find((r) => r.status === "updated");
    const loser = results.find((r) => r.status === "stale-ignored");
    expect(loser?.reason).toBe(`a concurrent ingest stored ${winner?.current?.sha256} first`);
    const stored = await pointer("aws-ip-ranges");
    expect(stored?.version).toBe(2);
    expect(stored?.meta.sha256).toBe(winner?.current?.sha256);
  });

  it("reports the second of two ingests of the same version as unchanged", async () => {
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");
    const fetcher = barrierFetcher(2);

    const results = await Promise.all([
      ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", { fetcher }),
      ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", { fetcher }),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(["unchanged", "updated"]);
    expect(results.find((r) => r.status === "unchanged")?.reason).toBe(
      "stored by a concurrent ingest",
    );
    expect((await pointer("aws-ip-ranges"))?.version).toBe(2);
  });
});

describe("the pointer store", () => {
  it("refuses a write whose expected version is no longer current", async () => {
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");
    const { pointers } = feedDeps(stack);
    const current = (await pointers.get("aws-ip-ranges")) as FeedPointer;

    await pointers.put({ ...current, version: 2 }, 1);

    await expect(pointers.put({ ...current, version: 2 }, 1)).rejects.toBeInstanceOf(
      FeedPointerConflictError,
    );
    await expect(pointers.put({ ...current, version: 1 }, null)).rejects.toBeInstanceOf(
      FeedPointerConflictError,
    );
  });

  it("keeps a damping state too large for an item inline, compressed", async () => {
    const { pointers } = feedDeps(stack);
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");
    const pending = snapshot.prefixes.slice(0, 6000).map((prefix) => ({
      prefix,
      since: "2026-08-21T21:20:00.000Z",
      runs: 1,
    }));
    const meta = {
      feed: "aws-ip-ranges" as const,
      sha256: snapshot.sha256,
      fetchedAt: "2026-08-21T21:20:00.000Z",
      source: "file:///x",
      archiveKey: `feeds/aws-ip-ranges/${snapshot.sha256}.json`,
      prefixCount: snapshot.prefixCount,
    };
    const stored: FeedPointer = {
      feed: "aws-ip-ranges",
      version: 1,
      meta,
      url: "file:///x",
      damping: { pending },
      confirmedAt: meta.fetchedAt,
      updatedAt: meta.fetchedAt,
    };

    await pointers.put(stored, null);

    expect(await pointers.get("aws-ip-ranges")).toEqual(stored);
  });
});

describe("loading the current range matchers", () => {
  it("builds one matcher per feed and keeps ranges whose removal is still pending", async () => {
    await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-57-05") },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      now: new Date("2026-08-21T19:00:00Z"),
      options: { grace: GRACE },
    });
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z");

    const matchers = await loadCurrentRangeMatchers(feedDeps(stack));

    expect([...matchers.keys()].sort()).toEqual(["aws-ip-ranges", "cloudfront"]);
    const aws = matchers.get("aws-ip-ranges");
    expect(aws?.meta.syncToken).toBe("1787347025");
    expect(show(aws?.contains("1.178.86.77"))).toEqual([
      `${FLAP} AMAZON ap-southeast-3`,
      `${FLAP} EC2 ap-southeast-3`,
    ]);
    expect(show(aws?.contains("23.254.41.9"))).toEqual([
      "23.254.40.0/23 AMAZON ca-central-1",
      "23.254.40.0/23 EC2 ca-central-1",
    ]);
    expect(
      matchers
        .get("cloudfront")
        ?.contains("13.32.10.20")
        .map((p) => p.service),
    ).toEqual(["CLOUDFRONT_GLOBAL"]);
  });

  it("leaves out a feed that has no snapshot yet", async () => {
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z");

    const matchers = await loadCurrentRangeMatchers(feedDeps(stack));

    expect([...matchers.keys()]).toEqual(["aws-ip-ranges"]);
  });
});
