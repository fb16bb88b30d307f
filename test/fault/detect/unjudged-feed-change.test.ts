import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { IngestFeedsResponse } from "#functions/ingest-feeds";
import { createPublishEventsHandler } from "#functions/publish-events";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  type DetectionCycleDeps,
  type DetectionCycleResult,
  runDetectionCycle,
} from "#shared/detect/detection-cycle";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { failingEventCommits } from "#test/helpers/faults";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  fileUrl,
  readCloudFront,
} from "#test/helpers/feed-fixtures";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { type Delivered, drainQueue, notifyDeps, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * Gap: an ingest replaces the feed pointer, then the compare step commits `feed-ranges-changed`
 * for the diff. A process that dies in between leaves the pointer on the new snapshot: the retry
 * (or the next ingest) sees the feed unchanged, without a diff, and the change is never notified.
 * These tests crash there and check that the next ingest commits the change, delivered once,
 * and that ordinary ingests after a change notify it once.
 */

const AWS_IP_RANGES = awsIpRangesUrl("2026-08-21-21-17-05");
/** CloudFront publishes one more edge range (the whole list is relevant to product-updates). */
const NEW_EDGE_RANGE = "3.172.0.0/18";

/** Every delivered `feed-ranges-changed` event: subject, added prefixes and run. */
function feedChanges(delivered: readonly Delivered[]) {
  return delivered.flatMap(({ notification }) =>
    notification.events
      .filter((event) => event.type === "feed-ranges-changed")
      .map((event) => ({
        eventId: event.eventId,
        subject: notification.subject.key,
        added: event.added,
        runId: notification.runId,
      })),
  );
}

let stack: EmbeddedStack;
let workDir: string;
let derivedCloudFront: string;

beforeEach(async () => {
  stack = await startTestStack();
  workDir = await mkdtemp(join(tmpdir(), "driftwatch-unjudged-feed-"));
  const list = JSON.parse(new TextDecoder().decode(await readCloudFront())) as {
    CLOUDFRONT_GLOBAL_IP_LIST: string[];
  };
  list.CLOUDFRONT_GLOBAL_IP_LIST.push(NEW_EDGE_RANGE);
  derivedCloudFront = fileUrl(join(workDir, "list-cloudfront-ips.json"));
  await writeFile(join(workDir, "list-cloudfront-ips.json"), JSON.stringify(list));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await stack.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe("fault: the ingest Lambda dies between replacing the pointer and committing the change", () => {
  const context = lambdaContext({
    functionName: "driftwatch-test-ingestFeeds",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:driftwatch-test-ingest",
    memoryLimitInMB: "1024",
    awsRequestId: "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
    logStreamName: "2026/08/21/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 120_000,
  });

  const scheduled = (time: string) =>
    scheduledEvent(time, "driftwatch-test-ingest-feeds", `schedule-${time}`);

  /** The handler with the derived CloudFront list, its DynamoDB writes of events faultable. */
  async function ingestFunction(catalogue: Catalogue) {
    const env = {
      DRIFTWATCH_TABLE_NAME: stack.tableName,
      DRIFTWATCH_BUCKET_NAME: stack.bucketName,
      DRIFTWATCH_CATALOGUE_ID: catalogue.id,
      DRIFTWATCH_AWS_IP_RANGES_URL: AWS_IP_RANGES,
      DRIFTWATCH_CLOUDFRONT_URL: derivedCloudFront,
      DRIFTWATCH_FEED_GRACE: '{"runs":3,"hours":6}',
    };
    // The module builds its default handler from process.env when it loads (cold start).
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
    const { createIngestFeedsHandler } = await import("#functions/ingest-feeds");
    const faults = failingEventCommits(stack.clients);
    const handler = createIngestFeedsHandler(env, {
      clients: faults.clients,
      catalogueSource: async () => catalogue,
    });
    const { events, notifier } = notifyDeps(stack);
    const sweep = createPublishEventsHandler({
      events,
      notifier,
      logger: new Logger({ serviceName: "driftwatch-test", logLevel: "SILENT" }),
      metrics: new Metrics({ namespace: "driftwatch-test", serviceName: "driftwatch-test" }),
    });
    return { handler, sweep, faults };
  }

  /** The previous versions of both feeds are current, as after an earlier ingest. */
  async function previousVersionsCurrent() {
    await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: AWS_IP_RANGES },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      now: new Date("2026-08-21T21:00:00Z"),
      options: { grace: DEFAULT_FEED_GRACE },
    });
  }

  it("commits the change on the retry, which sees the feed unchanged; the sweep delivers it once", async () => {
    // Prepare
    await previousVersionsCurrent();
    const { handler, sweep, faults } = await ingestFunction(await loadCatalogueFile());
    const queueUrl = subscribeQueue(stack, "every-change");

    // Act: the 22:00 ingest accepts the new list and dies committing; Lambda retries it.
    faults.arm();
    const crashed = await handler(scheduled("2026-08-21T22:00:00Z"), context).catch(
      (error: unknown) => error,
    );
    const pointer = await feedDeps(stack).pointers.get("cloudfront");
    const retry: IngestFeedsResponse = await handler(scheduled("2026-08-21T22:00:00Z"), context);
    await sweep(scheduled("2026-08-21T22:05:00Z"), context);
    const delivered = await drainQueue(stack, queueUrl);
    const nextHour: IngestFeedsResponse = await handler(scheduled("2026-08-21T23:00:00Z"), context);
    await sweep(scheduled("2026-08-21T23:05:00Z"), context);
    const deliveredLater = await drainQueue(stack, queueUrl);

    // Assess
    expect(crashed).toMatchObject({ message: expect.stringMatching(/injected/) });
    expect(faults.failures()).toBe(1);
    expect(retry.results.find((r) => r.feed === "cloudfront")?.status).toBe("unchanged");
    expect(feedChanges(delivered)).toEqual([
      {
        eventId: expect.any(String),
        subject: "feed:cloudfront:product-updates",
        added: [NEW_EDGE_RANGE],
        runId: "feeds-2026-08-21T22:00Z",
      },
    ]);
    // The crash left the pointer on the new list, with the change kept until it is judged.
    expect(pointer?.unjudged?.map((change) => change.diff.added.map((p) => p.prefix))).toEqual([
      [NEW_EDGE_RANGE],
    ]);
    expect(retry.backlog).toEqual([
      { runId: "feeds-2026-08-21T22:00Z", feeds: ["cloudfront"], committed: 1 },
    ]);
    expect(nextHour.backlog).toBeUndefined();
    expect(deliveredLater).toEqual([]);
    expect((await feedDeps(stack).pointers.get("cloudfront"))?.unjudged).toBeUndefined();
  });

  it("notifies a change once when ordinary ingests of the same feed follow it", async () => {
    // Prepare
    await previousVersionsCurrent();
    const { handler, sweep } = await ingestFunction(await loadCatalogueFile());
    const queueUrl = subscribeQueue(stack, "every-change");

    // Act
    const changed: IngestFeedsResponse = await handler(scheduled("2026-08-21T22:00:00Z"), context);
    const unchanged: IngestFeedsResponse = await handler(
      scheduled("2026-08-21T23:00:00Z"),
      context,
    );
    await sweep(scheduled("2026-08-21T23:05:00Z"), context);
    const delivered = await drainQueue(stack, queueUrl);
    const unpublished = await createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).listUnpublished();

    // Assess
    expect(changed.drift?.committed).toBe(1);
    expect(unchanged.drift).toBeUndefined();
    expect(unchanged.backlog).toBeUndefined();
    expect(feedChanges(delivered).map((change) => change.added)).toEqual([[NEW_EDGE_RANGE]]);
    expect(unpublished).toEqual([]);
  });
});

describe("fault: a CLI cycle dies between ingesting a feed change and committing it", () => {
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;

  beforeEach(async () => {
    catalogue = await loadCatalogueFile();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
  });

  const cycleDeps = () => faultableCycleDeps(stack, resolver);

  /** `driftwatch detect` as the CLI runs it: a fresh run id per invocation. */
  const cycle = (
    deps: DetectionCycleDeps,
    minutes: number,
    cloudfront: string,
  ): Promise<DetectionCycleResult> => {
    const now = new Date(Date.parse("2026-08-22T10:00:00Z") + minutes * 60_000);
    return runDetectionCycle(deps, {
      catalogue,
      runId: `cli-${now.toISOString()}`,
      now,
      deadline: Date.now() + 20_000,
      feeds: [
        { id: "aws-ip-ranges", url: AWS_IP_RANGES },
        { id: "cloudfront", url: cloudfront },
      ],
      feedOptions: { grace: DEFAULT_FEED_GRACE },
    });
  };

  it("commits the change in the next cycle, which sees the feed unchanged, delivered once", async () => {
    // Prepare: a baseline cycle on the original list.
    const { deps, judge } = cycleDeps();
    const queueUrl = subscribeQueue(stack, "every-change");
    await cycle(deps, 0, CLOUDFRONT_URL);
    await drainQueue(stack, queueUrl);

    // Act: the cycle that ingests the new list dies in the compare step; two more follow.
    judge.arm();
    const crashed = await cycle(deps, 15, derivedCloudFront).catch((error: unknown) => error);
    const next = await cycle(deps, 30, derivedCloudFront);
    const delivered = await drainQueue(stack, queueUrl);
    const later = await cycle(deps, 45, derivedCloudFront);
    const deliveredLater = await drainQueue(stack, queueUrl);

    // Assess
    expect(crashed).toMatchObject({ message: expect.stringMatching(/injected/) });
    expect(next.feeds.find((f) => f.feed === "cloudfront")?.status).toBe("unchanged");
    expect(feedChanges(delivered)).toEqual([
      {
        eventId: expect.any(String),
        subject: "feed:cloudfront:product-updates",
        added: [NEW_EDGE_RANGE],
        runId: "cli-2026-08-22T10:15:00.000Z",
      },
    ]);
    expect(next.backlog.map((judged) => [judged.runId, judged.feedChanges.length])).toEqual([
      ["cli-2026-08-22T10:15:00.000Z", 1],
    ]);
    expect(later.backlog).toEqual([]);
    expect(feedChanges(deliveredLater)).toEqual([]);
  });

  it("notifies a change once over three ordinary cycles", async () => {
    // Prepare
    const { deps } = cycleDeps();
    const queueUrl = subscribeQueue(stack, "every-change");
    await cycle(deps, 0, CLOUDFRONT_URL);

    // Act
    const changed = await cycle(deps, 15, derivedCloudFront);
    await cycle(deps, 30, derivedCloudFront);
    await cycle(deps, 45, derivedCloudFront);
    const delivered = await drainQueue(stack, queueUrl);

    // Assess
    expect(changed.backlog).toEqual([]);
    expect(feedChanges(delivered).map((change) => [change.added, change.runId])).toEqual([
      [[NEW_EDGE_RANGE], "cli-2026-08-22T10:15:00.000Z"],
    ]);
  });
});
