import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { SNSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPublishEventsHandler, type SweepResponse } from "#functions/publish-events";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { FeedIngestFailedError } from "#shared/observe/feeds/errors";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { feedDeps } from "#test/helpers/feed-deps";
import {
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  fileUrl,
  readAwsIpRanges,
  readCloudFront,
} from "#test/helpers/feed-fixtures";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { drainQueue, notifyDeps, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";

const SNS_EVENT_FILE = new URL(
  "../../../fixtures/events/amazon-ip-space-changed.json",
  import.meta.url,
);

const context = lambdaContext({
  functionName: "driftwatch-test-ingestFeeds",
  memoryLimitInMB: "1024",
  awsRequestId: "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
  logStreamName: "2026/08/21/[$LATEST]0123456789abcdef",
  getRemainingTimeInMillis: () => 120_000,
});

const scheduled = scheduledEvent(
  "2026-08-21T22:00:00Z",
  "driftwatch-test-ingest-feeds",
  "c0ffee00-1234-4abc-9def-0123456789ab",
);

async function snsEvent(edit?: (message: Record<string, string>) => void): Promise<SNSEvent> {
  const event = JSON.parse(await readFile(SNS_EVENT_FILE, "utf8")) as SNSEvent;
  const record = event.Records[0];
  if (record !== undefined && edit !== undefined) {
    const message = JSON.parse(record.Sns.Message) as Record<string, string>;
    edit(message);
    record.Sns.Message = JSON.stringify(message);
  }
  return event;
}

let stack: EmbeddedStack;
let savedEnv: NodeJS.ProcessEnv;
let emitted: string[];

/** Imports the Lambda module afresh, so it reads this test's environment at "cold start". */
async function coldStart(awsIpRangesFile: string, cloudfrontFile = CLOUDFRONT_URL) {
  Object.assign(process.env, {
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: stack.messagingEndpoint,
    DRIFTWATCH_TABLE_NAME: stack.tableName,
    DRIFTWATCH_BUCKET_NAME: stack.bucketName,
    DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3",
    DRIFTWATCH_AWS_IP_RANGES_URL: awsIpRangesFile,
    DRIFTWATCH_CLOUDFRONT_URL: cloudfrontFile,
    DRIFTWATCH_FEED_GRACE: '{"runs":3,"hours":6}',
    POWERTOOLS_SERVICE_NAME: "driftwatch-test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  vi.resetModules();
  return import("#functions/ingest-feeds");
}

beforeEach(async () => {
  savedEnv = { ...process.env };
  stack = await startTestStack();
  await createDynamoDbCatalogueStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  }).importCatalogue(await loadCatalogueFile(), new Date("2026-08-01T00:00:00Z"));
  emitted = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    emitted.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.env = savedEnv;
  await stack.stop();
});

/** The EMF documents the invocation printed. */
function metricDocuments(): {
  _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] };
  [k: string]: unknown;
}[] {
  return emitted
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}

describe("the ingest-feeds Lambda", () => {
  it("ingests both feeds on the hourly schedule and reports how fresh they are", async () => {
    // Prepare
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-18-57-05"));

    // Act
    const response = await handler(scheduled, context);

    // Assess
    expect(response.trigger).toBe("schedule");
    expect(response.results.map((r) => [r.feed, r.status, r.syncToken])).toEqual([
      ["aws-ip-ranges", "updated", "1787338625"],
      ["cloudfront", "updated", undefined],
    ]);
    const pointer = await feedDeps(stack).pointers.get("aws-ip-ranges");
    expect(pointer?.meta.syncToken).toBe("1787338625");
    const age = metricDocuments().find((doc) => "FeedAgeSeconds" in doc);
    expect(age?.FeedAgeSeconds).toBe(0);
    expect(age?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service"]]);
    expect(age?.service).toBe("driftwatch-test");
  });

  it("checks the catalogue's vendor page on the schedule; offline, it is a status and a metric, not an event or a failure", async () => {
    // Prepare: the catalogue names a page nothing serves
    const shipped = await loadCatalogueFile();
    const url = `http://127.0.0.1:${await closedLoopbackPort()}/ports`;
    await createDynamoDbCatalogueStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).importCatalogue(
      { ...shipped, document: { ...shipped.document, source: { url } } },
      new Date("2026-08-02T00:00:00Z"),
    );
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-18-57-05"));

    // Act
    const response = await handler(scheduled, context);

    // Assess
    expect(response.document).toMatchObject({
      url,
      status: "unreachable",
      reason: expect.stringContaining("ECONNREFUSED"),
    });
    const pending = await createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).listUnpublished("document:clearswift-seg-5.3");
    expect(pending).toEqual([]);
    expect(response.drift?.committed ?? 0).toBe(0);
    const checks = metricDocuments().find((doc) => "VendorDocumentChecks" in doc);
    expect(checks).toMatchObject({ VendorDocumentChecks: 1, status: "unreachable" });
  });

  it("ingests the version an AmazonIpSpaceChanged notification announces, md5 verified", async () => {
    // Prepare: the previous version is current.
    await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-57-05") },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      now: new Date(),
      options: { grace: { runs: 3, hours: 6 } },
    });
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-21-17-05"));

    // Act
    const response = await handler(await snsEvent(), context);

    // Assess
    expect(response.trigger).toBe("notification");
    expect(response.results).toEqual([
      expect.objectContaining({
        feed: "aws-ip-ranges",
        status: "updated",
        syncToken: "1787347025",
        added: 2,
        removed: 0,
      }),
      expect.objectContaining({ feed: "cloudfront", status: "unchanged" }),
    ]);
  });

  it("throws, so Lambda retries and alarms fire, when the body does not match the notified md5", async () => {
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-21-17-05"));
    const event = await snsEvent((message) => {
      message.md5 = "ffffffffffffffffffffffffffffffff";
    });

    const outcome = handler(event, context);

    // The module was imported afresh: compare the class by name, not identity.
    await expect(outcome).rejects.toMatchObject({ name: FeedIngestFailedError.name });
    await expect(outcome).rejects.toThrow(
      /^feed aws-ip-ranges rejected: md5 mismatch for syncToken 1787347025/,
    );
    expect(await feedDeps(stack).pointers.get("aws-ip-ranges")).toBeNull();
    expect((await feedDeps(stack).pointers.get("cloudfront"))?.meta.feed).toBe("cloudfront");
  });

  it("ignores a notification older than the stored version", async () => {
    await ingestFeeds(feedDeps(stack), {
      feeds: [{ id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-21-17-05") }],
      now: new Date(),
      options: { grace: { runs: 3, hours: 6 } },
    });
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-22-37-05"));
    const event = await snsEvent((message) => {
      message.synctoken = "1787338625";
    });

    const response = await handler(event, context);

    expect(response.results[0]).toEqual(
      expect.objectContaining({
        feed: "aws-ip-ranges",
        status: "stale-ignored",
        syncToken: "1787347025",
      }),
    );
  });

  it("rejects an event that is neither an SNS notification nor a schedule", async () => {
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-21-17-05"));

    await expect(
      handler({ Records: [{ EventSource: "aws:sqs", body: "{}" }] }, context),
    ).rejects.toThrow();
    await expect(
      handler(
        await snsEvent((message) => {
          message.md5 = "not-a-hash";
        }),
        context,
      ),
    ).rejects.toThrow(/md5/);
  });

  it("fails at cold start naming a missing variable", async () => {
    Object.assign(process.env, { DRIFTWATCH_TABLE_NAME: "" });
    vi.resetModules();

    await expect(import("#functions/ingest-feeds")).rejects.toThrow(
      /^DRIFTWATCH_TABLE_NAME: is required$/,
    );
  });
});

/** The previous versions of both feeds are current, as after an earlier ingest. */
async function previousVersionsCurrent() {
  await ingestFeeds(feedDeps(stack), {
    feeds: [
      { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-18-57-05") },
      { id: "cloudfront", url: CLOUDFRONT_URL },
    ],
    now: new Date("2026-08-21T19:00:00Z"),
    options: { grace: { runs: 3, hours: 6 } },
  });
}

const eventStore = () =>
  createDynamoEventStore({ documents: stack.clients.documents, tableName: stack.tableName });

describe("the ingest-feeds Lambda judging what changed", () => {
  let workDir: string;
  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), "driftwatch-feed-lambda-"));
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("commits feed-rejected for every group relying on a corrupt feed, then throws; a redelivery adds nothing", async () => {
    // Prepare: the notified version arrives cut in half.
    await previousVersionsCurrent();
    const bytes = await readAwsIpRanges("2026-08-21-21-17-05");
    const corrupt = join(workDir, "ip-ranges.json");
    await writeFile(corrupt, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { handler } = await coldStart(fileUrl(corrupt));
    const event = await snsEvent();

    // Act
    const first = handler(event, context);
    await expect(first).rejects.toMatchObject({ name: FeedIngestFailedError.name });
    const committed = await eventStore().listUnpublished();
    const redelivery = handler(event, context);
    await expect(redelivery).rejects.toMatchObject({ name: FeedIngestFailedError.name });
    const afterRedelivery = await eventStore().listUnpublished();

    // Assess
    expect(committed.map((r) => [r.type, r.subjectKey, r.runId])).toEqual([
      ["feed-rejected", "feed:aws-ip-ranges:av-cloud-lookups", "feeds-sync-1787347025"],
      ["feed-rejected", "feed:aws-ip-ranges:service-availability", "feeds-sync-1787347025"],
    ]);
    expect(afterRedelivery).toEqual(committed);
    expect((await feedDeps(stack).pointers.get("aws-ip-ranges"))?.meta.syncToken).toBe(
      "1787338625",
    );
  });

  it("commits feed-ranges-changed when a relevant prefix is published, which the sweep publishes once", async () => {
    // Prepare: with the notified ip-ranges.json, CloudFront publishes one more edge range (the
    // whole CloudFront list is relevant to the product-updates group).
    await previousVersionsCurrent();
    const list = JSON.parse(new TextDecoder().decode(await readCloudFront())) as {
      CLOUDFRONT_GLOBAL_IP_LIST: string[];
    };
    list.CLOUDFRONT_GLOBAL_IP_LIST.push("3.172.0.0/18");
    const derived = join(workDir, "list-cloudfront-ips.json");
    await writeFile(derived, JSON.stringify(list));
    const { handler } = await coldStart(awsIpRangesUrl("2026-08-21-21-17-05"), fileUrl(derived));
    const firewallQueue = subscribeQueue(stack, "firewall-automation", {
      group: ["product-updates"],
    });
    const deps = notifyDeps(stack);
    const sweep = createPublishEventsHandler({
      events: deps.events,
      notifier: deps.notifier,
      logger: new Logger({ serviceName: "driftwatch-test", logLevel: "SILENT" }),
      metrics: new Metrics({ namespace: "driftwatch-test", serviceName: "driftwatch-test" }),
    });

    // Act
    const response = await handler(await snsEvent(), context);
    const committed = await eventStore().listUnpublished();
    const swept = (await sweep(scheduled, context)) as SweepResponse;
    const delivered = await drainQueue(stack, firewallQueue);
    const sweptAgain = (await sweep(scheduled, context)) as SweepResponse;

    // Assess
    expect(response).toMatchObject({
      trigger: "notification",
      runId: "feeds-sync-1787347025",
      drift: { committed: 1 },
    });
    expect(response.drift?.allowlistsWritten).toContain("allowlists/product-updates.txt");
    expect(committed.map((r) => [r.type, r.subjectKey, r.severity])).toEqual([
      ["feed-ranges-changed", "feed:cloudfront:product-updates", "high"],
    ]);
    expect(swept).toMatchObject({ published: 1, changeSets: 1 });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.notification).toMatchObject({
      runId: "feeds-sync-1787347025",
      group: "product-updates",
      eventTypes: ["feed-ranges-changed"],
      events: [
        expect.objectContaining({ eventId: committed[0]?.eventId, added: ["3.172.0.0/18"] }),
      ],
    });
    expect(sweptAgain).toMatchObject({ published: 0, changeSets: 0 });
    expect(await drainQueue(stack, firewallQueue)).toEqual([]);
    expect(await eventStore().listUnpublished()).toEqual([]);
  });
});
