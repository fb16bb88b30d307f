import { readFile } from "node:fs/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPublishEventsHandler, type SweepResponse } from "#functions/publish-events";
import type { ResolveHostnamesResponse } from "#functions/resolve-hostnames";
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
import type { HostObservation } from "#shared/domain/observation";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { RunLease } from "#shared/observe/dns/observation-store";
import { ObservationSaveError } from "#shared/observe/dns/resolve-hostnames";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { DEFAULT_FEED_GRACE } from "#shared/observe/feeds/damping";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { faultableCycleDeps } from "#test/helpers/cycle-deps";
import { dynamoUnavailable, failingEventCommits } from "#test/helpers/faults";
import { feedDeps } from "#test/helpers/feed-deps";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { type Delivered, drainQueue, notifyDeps, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * Gap: a cycle saves the run's observations, then commits the change events computed from them.
 * A process that dies in between, and whose run is not redelivered (the CLI takes a fresh run id
 * per invocation; a Lambda whose retries ran out), leaves IPs that entered or left the state
 * without their events: the next run no longer sees them change. These tests crash there and
 * check that the next cycle commits the lost events, under the interrupted run's id, and that
 * they are delivered exactly once.
 */

const T0 = new Date("2026-08-22T10:15:00.000Z");
const FEEDS = [
  { id: "aws-ip-ranges" as const, url: awsIpRangesUrl("2026-08-21-21-17-05") },
  { id: "cloudfront" as const, url: CLOUDFRONT_URL },
];

/** The changes clearswift-v2.zone makes that only the run seeing them can raise. */
const V2_TRANSITIONS = [
  "ip-added endpoint:license-key-validation/applianceupdate.clearswift.com",
  "ip-added endpoint:product-and-os-updates/products.clearswift.net",
  "ip-added endpoint:sophos-cloud-lookups/cls.sophosxl.net",
  "ip-outside-published-ranges endpoint:product-and-os-updates/products.clearswift.net",
];

/** Every delivered event, as `type subject`, with the run it was committed under. */
function deliveredEvents(delivered: readonly Delivered[]) {
  return delivered.flatMap(({ notification }) =>
    notification.events.map((event) => ({
      eventId: event.eventId,
      change: `${event.type} ${notification.subject.key}`,
      runId: notification.runId,
    })),
  );
}

function transitionsOf(delivered: readonly Delivered[]): string[] {
  return deliveredEvents(delivered)
    .map((event) => event.change)
    .filter((change) => /^(ip-added|ip-removed|ip-outside-published-ranges) /.test(change))
    .sort();
}

function expectEachEventOnce(delivered: readonly Delivered[]) {
  const ids = deliveredEvents(delivered).map((event) => event.eventId);
  expect(ids.length).toBe(new Set(ids).size);
}

describe("fault: a CLI cycle dies between saving the observations and committing their events", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;
  let queueUrl: string;

  beforeEach(async () => {
    catalogue = await loadCatalogueFile();
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
    queueUrl = subscribeQueue(stack, "every-change");
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
    await stack.stop();
  });

  const cycleDeps = () => faultableCycleDeps(stack, resolver);

  /** `driftwatch detect` as the CLI runs it: a fresh run id per invocation. */
  const cycle = (deps: DetectionCycleDeps, minutes: number): Promise<DetectionCycleResult> => {
    const now = new Date(T0.getTime() + minutes * 60_000);
    return runDetectionCycle(deps, {
      catalogue,
      runId: `cli-${now.toISOString()}`,
      now,
      deadline: Date.now() + 20_000,
      feeds: FEEDS,
      feedOptions: { grace: DEFAULT_FEED_GRACE },
    });
  };

  it("commits the interrupted run's IP changes in the next cycle, delivered once", async () => {
    // Prepare: a baseline cycle, then the zone changes.
    const { deps, judge } = cycleDeps();
    await cycle(deps, 0);
    await drainQueue(stack, queueUrl);
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));

    // Act: the cycle that sees the changes dies in the compare step; two more cycles follow.
    judge.arm();
    const crashed = await cycle(deps, 15).catch((error: unknown) => error);
    const afterCrash = await drainQueue(stack, queueUrl);
    const next = await cycle(deps, 30);
    const afterNext = await drainQueue(stack, queueUrl);
    const later = await cycle(deps, 45);
    const afterLater = await drainQueue(stack, queueUrl);

    // Assess
    expect(crashed).toMatchObject({ message: expect.stringMatching(/injected/) });
    expect(afterCrash).toEqual([]);
    expect(transitionsOf(afterNext)).toEqual(V2_TRANSITIONS);
    expect(next.backlog.map((judged) => judged.runId)).toEqual(["cli-2026-08-22T10:30:00.000Z"]);
    const recovered = deliveredEvents(afterNext).filter((e) => V2_TRANSITIONS.includes(e.change));
    expect(new Set(recovered.map((event) => event.runId))).toEqual(
      new Set(["cli-2026-08-22T10:30:00.000Z"]),
    );
    expect(next.drift.changeSets.flatMap((c) => c.events.map((e) => e.type))).not.toContain(
      "ip-added",
    );
    expect(later.backlog).toEqual([]);
    expect(transitionsOf(afterLater)).toEqual([]);
    expectEachEventOnce([...afterNext, ...afterLater]);
  });

  it("judges what an interrupted save kept, and lets the next run see the rest: each change once", async () => {
    // Prepare: the store accepts 10 observations of the changed run, then fails.
    const { deps } = cycleDeps();
    await cycle(deps, 0);
    await drainQueue(stack, queueUrl);
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const failingSaves: DetectionCycleDeps = {
      ...deps,
      observations: {
        ...deps.observations,
        // The first 10 are written; the batches of the rest fail (DynamoDB unreachable).
        saveObservations: async (observations: readonly HostObservation[], lease: RunLease) => {
          const written = await deps.observations.saveObservations(
            observations.slice(0, 10),
            lease,
          );
          const error = dynamoUnavailable();
          const failed = observations.slice(10).map((o) => ({ hostname: o.hostname, error }));
          return { saved: written.saved, failed };
        },
      },
    };

    // Act
    const crashed = await cycle(failingSaves, 15).catch((error: unknown) => error);
    const next = await cycle(deps, 30);
    const afterNext = await drainQueue(stack, queueUrl);
    const later = await cycle(deps, 45);
    const afterLater = await drainQueue(stack, queueUrl);

    // Assess: whichever hostnames were saved, every change is delivered, each once.
    expect(crashed).toBeInstanceOf(ObservationSaveError);
    expect(transitionsOf([...afterNext, ...afterLater])).toEqual(V2_TRANSITIONS);
    expect(next.backlog.map((judged) => [judged.runId, judged.savedHostnames])).toEqual([
      ["cli-2026-08-22T10:30:00.000Z", 10],
    ]);
    expect(later.backlog).toEqual([]);
    expectEachEventOnce([...afterNext, ...afterLater]);
  });
});

describe("fault: the resolve Lambda dies committing a run's events and is not redelivered", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;

  const context = lambdaContext({
    functionName: "driftwatch-test-resolveHostnames",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:driftwatch-test-resolve",
  });

  const scheduled = (time: string) =>
    scheduledEvent(time, "driftwatch-test-resolve", `schedule-${time}`);

  beforeEach(async () => {
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await dns.stop();
    await stack.stop();
  });

  it("judges the run at the next schedule; the sweep delivers its events once", async () => {
    // Prepare: DynamoDB refuses change events when armed; the publisher sweeps as in AWS.
    const catalogue = await loadCatalogueFile();
    const faults = failingEventCommits(stack.clients);
    const env = {
      DRIFTWATCH_TABLE_NAME: stack.tableName,
      DRIFTWATCH_BUCKET_NAME: stack.bucketName,
      DRIFTWATCH_CATALOGUE_ID: catalogue.id,
      DRIFTWATCH_DNS_SERVERS: dns.address,
      DRIFTWATCH_DNS_TIMEOUT_MS: "300",
      DRIFTWATCH_DNS_TRIES: "1",
    };
    // The module builds its default handler from process.env when it loads (cold start).
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    const handler = createResolveHostnamesHandler(env, {
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
    const queueUrl = subscribeQueue(stack, "every-change");
    // Both feeds have a current snapshot, as after the ingest function's first run.
    await ingestFeeds(feedDeps(stack), {
      feeds: FEEDS,
      now: new Date("2026-08-22T09:00:00Z"),
      options: { grace: DEFAULT_FEED_GRACE },
    });
    await handler(scheduled("2026-08-22T10:15:00Z"), context);
    await sweep(scheduled("2026-08-22T10:16:00Z"), context);
    await drainQueue(stack, queueUrl);
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));

    // Act: the 10:30 run dies committing its events (its retries fail too, then stop).
    faults.arm(3);
    const attempts = [];
    for (let delivery = 0; delivery < 3; delivery++) {
      attempts.push(
        await handler(scheduled("2026-08-22T10:30:00Z"), context).catch((e: unknown) => e),
      );
    }
    const unpublishedAfterCrash = await createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).listUnpublished();
    const next: ResolveHostnamesResponse = await handler(
      scheduled("2026-08-22T10:45:00Z"),
      context,
    );
    const swept = (await sweep(scheduled("2026-08-22T10:46:00Z"), context)) as SweepResponse;
    const delivered = await drainQueue(stack, queueUrl);
    const later: ResolveHostnamesResponse = await handler(
      scheduled("2026-08-22T11:00:00Z"),
      context,
    );
    await sweep(scheduled("2026-08-22T11:01:00Z"), context);
    const deliveredLater = await drainQueue(stack, queueUrl);

    // Assess
    expect(faults.failures()).toBe(3);
    for (const attempt of attempts) expect(attempt).toBeInstanceOf(Error);
    expect(unpublishedAfterCrash).toEqual([]);
    expect(transitionsOf(delivered)).toEqual(V2_TRANSITIONS);
    expect(swept.published).toBeGreaterThan(0);
    expect(next.backlog).toEqual([{ runId: "2026-08-22T10:30Z", committed: expect.any(Number) }]);
    expect(next.backlog[0]?.committed).toBeGreaterThanOrEqual(V2_TRANSITIONS.length);
    const recovered = deliveredEvents(delivered).filter((e) => V2_TRANSITIONS.includes(e.change));
    expect(new Set(recovered.map((event) => event.runId))).toEqual(new Set(["2026-08-22T10:30Z"]));
    expect(later.backlog).toEqual([]);
    expect(transitionsOf(deliveredLater)).toEqual([]);
    expectEachEventOnce([...delivered, ...deliveredLater]);
  });
});
