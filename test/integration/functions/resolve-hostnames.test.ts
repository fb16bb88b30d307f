import { readFile } from "node:fs/promises";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ResolveHostnamesResponse } from "#functions/resolve-hostnames";
import { DynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { allowlistKeys } from "#shared/allowlists/render";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { resolvableHostnames } from "#shared/catalogue/schema";
import { DriftConfigError } from "#shared/compare/config";
import { DnsConfigError } from "#shared/observe/dns/config";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import { feedDeps } from "#test/helpers/feed-deps";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { startTestStack } from "#test/helpers/stack";

function resolveContext(remainingMs: number): Context {
  const started = Date.now();
  return lambdaContext({
    functionName: "driftwatch-dev-resolveHostnames",
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
  });
}

const resolveSchedule = (time: string) => scheduledEvent(time, "driftwatch-dev-resolve");

/** The clearswift catalogue, imported as the handler reads it. */
async function importCatalogue(stack: EmbeddedStack): Promise<void> {
  await new DynamoDbCatalogueStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  }).importCatalogue(await loadCatalogueFile(), new Date("2026-08-01T00:00:00Z"));
}

/** The handler's environment: the test stack, asking only the loopback zone server. */
function handlerEnv(stack: EmbeddedStack, dns: ZoneDnsServer): Record<string, string> {
  return {
    DRIFTWATCH_TABLE_NAME: stack.tableName,
    DRIFTWATCH_BUCKET_NAME: stack.bucketName,
    DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3",
    DRIFTWATCH_DNS_SERVERS: dns.address,
    DRIFTWATCH_DNS_TIMEOUT_MS: "300",
    DRIFTWATCH_DNS_TRIES: "1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

describe("resolve-hostnames Lambda handler", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    await importCatalogue(stack);
    env = handlerEnv(stack, dns);
    // The module builds its handler from process.env at load (cold start).
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns?.stop();
    await stack?.stop();
  });

  it("resolves the imported catalogue once per scheduled time, however often it is delivered", async () => {
    // Prepare
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    const handler = createResolveHostnamesHandler(env, { clients: stack.clients });
    const event = resolveSchedule("2026-08-22T10:15:00Z");

    // Act
    const first: ResolveHostnamesResponse = await handler(event, resolveContext(60_000));
    const redelivered: ResolveHostnamesResponse = await handler(
      { ...event, id: "another-delivery" },
      resolveContext(60_000),
    );

    // Assess
    const hostnames = resolvableHostnames(await loadCatalogueFile());
    expect(first).toMatchObject({
      runId: "2026-08-22T10:15Z",
      duplicateRun: false,
      hostnames: hostnames.length,
      answered: hostnames.length,
      failing: 0,
      suspicious: 0,
    });
    expect(redelivered).toMatchObject({
      runId: "2026-08-22T10:15Z",
      duplicateRun: true,
      committed: 0,
      allowlistsWritten: [],
    });
    const store = createDynamoObservationStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    expect((await store.latestObservations(hostnames)).size).toBe(hostnames.length);
  });

  it("rejects an event that is not a scheduled event", async () => {
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    const handler = createResolveHostnamesHandler(env, { clients: stack.clients });

    await expect(
      handler({ source: "aws.s3", time: "yesterday" }, resolveContext(60_000)),
    ).rejects.toThrow();
  });

  it("fails at cold start naming a missing variable", async () => {
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");

    expect(() =>
      createResolveHostnamesHandler(
        { ...env, DRIFTWATCH_DNS_SERVERS: "" },
        { clients: stack.clients },
      ),
    ).toThrow(DnsConfigError);
    expect(() =>
      createResolveHostnamesHandler(
        { ...env, DRIFTWATCH_FAILURE_THRESHOLD: "three" },
        { clients: stack.clients },
      ),
    ).toThrow(/^DRIFTWATCH_FAILURE_THRESHOLD "three": must be a whole number/);
    expect(() =>
      createResolveHostnamesHandler(
        { ...env, DRIFTWATCH_BUCKET_NAME: " " },
        { clients: stack.clients },
      ),
    ).toThrow(DriftConfigError);
  });
});

describe("resolve-hostnames Lambda handler: judging the run", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    await importCatalogue(stack);
    // Both feeds have a current snapshot, as after the ingest function's first run.
    await ingestFeeds(feedDeps(stack), {
      feeds: [
        { id: "aws-ip-ranges", url: awsIpRangesUrl("2026-08-21-21-17-05") },
        { id: "cloudfront", url: CLOUDFRONT_URL },
      ],
      now: new Date("2026-08-22T09:00:00Z"),
      options: { grace: { runs: 3, hours: 6 } },
    });
    env = { ...handlerEnv(stack, dns), DRIFTWATCH_FAILURE_THRESHOLD: "1" };
    // Powertools reads these from process.env.
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns?.stop();
    await stack?.stop();
  });

  it("commits the run's change events and rewrites the allowlists, once per scheduled time", async () => {
    // Prepare: a baseline run on the healthy zone, then the zone after the scripted changes.
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    const handler = createResolveHostnamesHandler(env, { clients: stack.clients });
    const baseline = await handler(resolveSchedule("2026-08-22T10:15:00Z"), resolveContext(60_000));
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const events = createDynamoEventStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
    const before = await events.listUnpublished();

    // Act
    const changed = await handler(resolveSchedule("2026-08-22T10:30:00Z"), resolveContext(60_000));
    const afterFirst = await events.listUnpublished();
    const redelivered = await handler(
      { ...resolveSchedule("2026-08-22T10:30:00Z"), id: "a-retried-delivery" },
      resolveContext(60_000),
    );
    const afterRedelivery = await events.listUnpublished();

    // Assess: the baseline wrote every group's allowlist files.
    expect(baseline.allowlistsWritten).toContain(allowlistKeys("product-updates").txt);
    const archive = createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName });
    const edl = await archive.get(allowlistKeys("product-updates").txt);
    expect(new TextDecoder().decode(edl?.bytes)).toMatch(/^# .*product-updates/);
    // The changed run committed its verdicts, unpublished, under its run id.
    const committed = afterFirst.filter((record) => record.runId === "2026-08-22T10:30Z");
    expect(changed.committed).toBe(committed.length);
    expect(afterFirst.length - before.length).toBe(committed.length);
    expect(committed.map((record) => `${record.type} ${record.subjectKey}`).sort()).toEqual([
      "ip-added endpoint:license-key-validation/applianceupdate.clearswift.com",
      "ip-added endpoint:product-and-os-updates/products.clearswift.net",
      "ip-added endpoint:sophos-cloud-lookups/cls.sophosxl.net",
      "ip-outside-published-ranges endpoint:product-and-os-updates/products.clearswift.net",
      "resolution-failed endpoint:swisssign-mpki-interface/ra.swisssign.net",
      "suspicious-answer endpoint:rss-feed/www.clearswift.com",
    ]);
    expect(committed.every((record) => !record.published)).toBe(true);
    // The redelivery judged the same run again and found nothing new.
    expect(redelivered).toMatchObject({
      runId: "2026-08-22T10:30Z",
      duplicateRun: true,
      driftEvents: changed.driftEvents,
      committed: 0,
      allowlistsWritten: [],
    });
    expect(afterRedelivery).toEqual(afterFirst);
  });
});
