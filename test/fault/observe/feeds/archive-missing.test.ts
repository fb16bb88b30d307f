import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "#cli/main";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { type DetectionCycleResult, runDetectionCycle } from "#shared/detect/detection-cycle";
import type { DetectionReport } from "#shared/detect/report";
import type { FeedId } from "#shared/domain/feed";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { loadCurrentRangeMatchers } from "#shared/observe/feeds/load-matchers";
import type { FeedLogger } from "#shared/observe/feeds/ports";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { detectJsonArgs } from "#test/helpers/detect-args";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  type AwsVersion,
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  fileUrl,
  readAwsIpRanges,
} from "#test/helpers/feed-fixtures";
import { startTestStack } from "#test/helpers/stack";

/**
 * Fault: the current feed pointer (DynamoDB) names an archived snapshot (S3) that is gone,
 * deleted by an operator or a bucket policy, or lost with a local mirror. Every later cycle used
 * to fail on it for good. Now the run goes on: a download restores the object or becomes a new
 * baseline (never "everything removed" or "everything added"), and without a download the feed
 * judges nothing, as before its first snapshot.
 */

/** A feed URL that cannot be read: the feed is unreachable (ENOENT), as when offline. */
function unreachableUrl(name: string): string {
  return fileUrl(join(tmpdir(), "driftwatch-no-such-dir", `${name}.json`));
}

/** A logger that keeps what it was told, to check the operator is told the key. */
function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  const logger: FeedLogger = { info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

describe("fault: the current snapshot is gone from the archive bucket", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  async function ingestAws(url: string, at: string, logger?: FeedLogger) {
    const [result] = await ingestFeeds(
      { ...feedDeps(stack), ...(logger ? { logger } : {}) },
      {
        feeds: [{ id: "aws-ip-ranges", url }],
        now: new Date(at),
        options: { grace: DEFAULT_FEED_GRACE },
      },
    );
    if (result === undefined) throw new Error("no result");
    return result;
  }

  /** Deletes the object the feed's current pointer names; returns its key. */
  async function deleteCurrentArchive(feed: FeedId): Promise<string> {
    const pointer = await feedDeps(stack).pointers.get(feed);
    if (pointer === null) throw new Error(`no pointer for ${feed}`);
    await stack.clients.s3.send(
      new DeleteObjectCommand({ Bucket: stack.bucketName, Key: pointer.meta.archiveKey }),
    );
    return pointer.meta.archiveKey;
  }

  async function archived(key: string): Promise<boolean> {
    return stack.clients.s3
      .send(new HeadObjectCommand({ Bucket: stack.bucketName, Key: key }))
      .then(
        () => true,
        () => false,
      );
  }

  it("accepts a new download as a new baseline, without a diff, naming the missing key", async () => {
    // Prepare: 21:17 is current with 1.178.86.0/24 pending removal; its archive is deleted.
    await ingestAws(awsIpRangesUrl("2026-08-21-18-57-05"), "2026-08-21T19:00:00Z");
    await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T21:20:00Z");
    const missing = await deleteCurrentArchive("aws-ip-ranges");
    const { logger, lines } = recordingLogger();

    // Act: 22:37 (re-publishes the pending prefix) is downloaded.
    const result = await ingestAws(
      awsIpRangesUrl("2026-08-21-22-37-05"),
      "2026-08-21T22:40:00Z",
      logger,
    );

    // Assess
    expect(result.status).toBe("updated");
    expect(result.diff).toBeUndefined();
    expect(result.warning).toContain(`archived snapshot ${missing} is missing`);
    expect(result.warning).toContain("new baseline");
    const pointer = await feedDeps(stack).pointers.get("aws-ip-ranges");
    expect(pointer?.meta.syncToken).toBe("1787351825");
    expect(pointer?.meta.archiveKey).not.toBe(missing);
    expect(await archived(pointer?.meta.archiveKey ?? "")).toBe(true);
    expect(pointer?.damping.pending).toEqual([]);
    // The change 21:17 brought stays to be judged; none is added for the new baseline.
    expect(pointer?.unjudged?.map((change) => change.diff.to.syncToken)).toEqual(["1787347025"]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        fields: expect.objectContaining({ key: missing }),
      }),
    );
    const matchers = await loadCurrentRangeMatchers(feedDeps(stack));
    expect(matchers.get("aws-ip-ranges")?.meta.syncToken).toBe("1787351825");
  });

  it("keeps a pending removal pending across the new baseline while its prefix stays absent", async () => {
    // Prepare: 18:57 -> 21:17 withdraws 1.178.86.0/24 (pending); 21:17's archive is deleted.
    await ingestAws(awsIpRangesUrl("2026-08-21-18-57-05"), "2026-08-21T19:00:00Z");
    await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T21:20:00Z");
    const before = await feedDeps(stack).pointers.get("aws-ip-ranges");
    await deleteCurrentArchive("aws-ip-ranges");
    // A newer version that still lacks the prefix: 21:17's bytes under a later syncToken.
    const workDir = await mkdtemp(join(tmpdir(), "driftwatch-archive-missing-"));
    try {
      const document = JSON.parse(
        new TextDecoder().decode(await readAwsIpRanges("2026-08-21-21-17-05")),
      ) as { syncToken: string };
      document.syncToken = "1787350000";
      await writeFile(join(workDir, "ip-ranges.json"), JSON.stringify(document));

      // Act
      const result = await ingestAws(
        fileUrl(join(workDir, "ip-ranges.json")),
        "2026-08-21T22:00:00Z",
      );

      // Assess: accepted, nothing reported, the withdrawn prefix still pending as before.
      expect(result.status).toBe("updated");
      expect(result.diff).toBeUndefined();
      const pointer = await feedDeps(stack).pointers.get("aws-ip-ranges");
      expect(before?.damping.pending.length).toBeGreaterThan(0);
      expect(pointer?.damping.pending).toEqual(before?.damping.pending);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it("restores the archived object when the same snapshot is downloaded again", async () => {
    // Prepare
    await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T21:20:00Z");
    const missing = await deleteCurrentArchive("aws-ip-ranges");

    // Act
    const result = await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T22:20:00Z");

    // Assess
    expect(result.status).toBe("unchanged");
    expect(result.diff).toBeUndefined();
    expect(result.warning).toContain(`archived snapshot ${missing} is missing; restored`);
    expect(await archived(missing)).toBe(true);
    const matchers = await loadCurrentRangeMatchers(feedDeps(stack));
    expect(matchers.get("aws-ip-ranges")?.meta.archiveKey).toBe(missing);
  });

  it("restores a corrupt object that still carries the original sha256 metadata", async () => {
    // Prepare: the object's bytes are damaged in place, its metadata left as it was.
    await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T21:20:00Z");
    const pointer = await feedDeps(stack).pointers.get("aws-ip-ranges");
    const key = pointer?.meta.archiveKey ?? "";
    const stored = await feedDeps(stack).archive.get(key);
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucketName,
        Key: key,
        Body: new TextEncoder().encode('{"syncToken": "truncated'),
        ContentType: "application/json",
        Metadata: stored?.metadata,
      }),
    );

    // Act
    const result = await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T22:20:00Z");

    // Assess
    expect(result.warning).toContain(`archived snapshot ${key} is not a valid snapshot`);
    const matchers = await loadCurrentRangeMatchers(feedDeps(stack));
    expect(matchers.get("aws-ip-ranges")?.meta.archiveKey).toBe(key);
  });

  it("leaves the feed without a matcher when it is unreachable too, without throwing", async () => {
    // Prepare
    await ingestAws(awsIpRangesUrl("2026-08-21-21-17-05"), "2026-08-21T21:20:00Z");
    const missing = await deleteCurrentArchive("aws-ip-ranges");
    const { logger, lines } = recordingLogger();

    // Act
    const result = await ingestAws(unreachableUrl("ip-ranges"), "2026-08-21T22:20:00Z");
    const matchers = await loadCurrentRangeMatchers({ ...feedDeps(stack), logger });

    // Assess
    expect(result.status).toBe("unreachable");
    expect(result.warning).toContain(`archived snapshot ${missing} is missing`);
    expect(result.current?.archiveKey).toBe(missing);
    expect(matchers.has("aws-ip-ranges")).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        fields: expect.objectContaining({ key: missing }),
      }),
    );
  });
});

describe("fault: a detection cycle runs while the current snapshot is gone from the archive", () => {
  const T0 = new Date("2026-08-22T10:15:00.000Z");
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;

  beforeEach(async () => {
    catalogue = await loadCatalogueFile();
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
    await stack.stop();
  });

  const cycle = (minutes: number, feedUrl: (feed: FeedId) => string) => {
    const now = new Date(T0.getTime() + minutes * 60_000);
    return runDetectionCycle(faultableCycleDeps(stack, resolver).deps, {
      catalogue,
      runId: `cli-${now.toISOString()}`,
      now,
      deadline: Date.now() + 20_000,
      feeds: (["aws-ip-ranges", "cloudfront"] as const).map((id) => ({ id, url: feedUrl(id) })),
      feedOptions: { grace: DEFAULT_FEED_GRACE },
    });
  };
  const reachable = (feed: FeedId) =>
    feed === "cloudfront" ? CLOUDFRONT_URL : awsIpRangesUrl("2026-08-21-21-17-05");
  const offline = (feed: FeedId) => unreachableUrl(feed);

  it("raises no ip-outside-published-ranges and keeps the last known CloudFront ranges in the allowlist when the list is unreadable and unreachable", async () => {
    // Prepare: a baseline cycle; the CloudFront list's archive is deleted; the CloudFront host
    // now also answers an IP outside CloudFront's ranges (clearswift-v2.zone), and the network
    // is down.
    await cycle(0, reachable);
    const missing = (await feedDeps(stack).pointers.get("cloudfront"))?.meta.archiveKey ?? "";
    await stack.clients.s3.send(
      new DeleteObjectCommand({ Bucket: stack.bucketName, Key: missing }),
    );
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const allowlist = () =>
      feedDeps(stack)
        .archive.get("allowlists/product-updates.txt")
        .then((object) => new TextDecoder().decode(object?.bytes));
    const listedBefore = await allowlist();

    // Act
    const result: DetectionCycleResult = await cycle(15, offline);

    // Assess
    expect(result.matchers.has("cloudfront")).toBe(false);
    const types = result.drift.events.map((event) => event.type);
    expect(types).not.toContain("ip-outside-published-ranges");
    const cloudfront = result.feeds.find((feed) => feed.feed === "cloudfront");
    expect(cloudfront?.status).toBe("unreachable");
    expect(cloudfront?.warning).toContain(`archived snapshot ${missing} is missing`);
    // The group's allowlist keeps CloudFront's last known ranges (from its last written JSON)
    // and lists the new answer, which no snapshot can judge, beside them.
    const entries = (text: string) =>
      text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(listedBefore).toContain("13.32.0.0/15");
    const listedAfter = entries(await allowlist());
    expect(listedAfter).toEqual(expect.arrayContaining(entries(listedBefore)));
    expect(listedAfter).toContain("34.117.59.81");
    expect(listedAfter).toHaveLength(entries(listedBefore).length + 1);
    const added = result.drift.events.find(
      (event) => event.type === "ip-added" && event.added.includes("34.117.59.81"),
    );
    expect(added?.action).toContain("lists the last known published ranges");
  });
});

describe("fault: driftwatch detect after the local archive mirror is lost", () => {
  let stateDir: string;
  let dns: ZoneDnsServer;

  beforeEach(async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    vi.stubEnv("DRIFTWATCH_BUCKET_NAME", undefined);
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-archive-missing-cli-"));
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await dns.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function detect(
    version: AwsVersion,
  ): Promise<{ code: number; report: DetectionReport | null }> {
    let stdout = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await main(detectJsonArgs(dns.address, stateDir, version));
      const report = stdout.trim() === "" ? null : (JSON.parse(stdout) as DetectionReport);
      return { code, report };
    } finally {
      out.mockRestore();
      err.mockRestore();
      process.exitCode = undefined;
    }
  }

  it("completes with exit 0 and reports the missing snapshot instead of failing every run", async () => {
    // Prepare: a first run, then the S3 mirror of the state directory is lost.
    const first = await detect("2026-08-21-18-17-05");
    await rm(join(stateDir, "s3"), { recursive: true, force: true });

    // Act: the same feed versions, then a newer ip-ranges.json.
    const second = await detect("2026-08-21-18-17-05");
    await rm(join(stateDir, "s3"), { recursive: true, force: true });
    const third = await detect("2026-08-21-21-17-05");

    // Assess
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const restored = second.report?.feeds.find((feed) => feed.feed === "aws-ip-ranges");
    expect(restored).toMatchObject({ status: "unchanged", added: 0, removed: 0 });
    expect(restored?.warning).toMatch(
      /archived snapshot feeds\/aws-ip-ranges\/\w+\.json is missing/,
    );
    expect(third.code).toBe(0);
    const rebased = third.report?.feeds.find((feed) => feed.feed === "aws-ip-ranges");
    expect(rebased).toMatchObject({ status: "updated", baseline: true, added: 0, removed: 0 });
    expect(rebased?.warning).toContain("new baseline");
    expect(third.report?.events.map((event) => event.type)).not.toContain("feed-ranges-changed");
  });
});
