import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ResolveHostnamesResponse, ScheduledEvent } from "#functions/resolve-hostnames";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { resolvableHostnames } from "#shared/catalogue/schema";
import type { EmbeddedStack } from "#shared/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/local/zone-dns-server";
import { DnsConfigError } from "#shared/observe/dns/config";
import { DynamoDbCatalogueStore } from "#shared/stores/dynamodb/catalogue-store";
import { createDynamoObservationStore } from "#shared/stores/dynamodb/observation-store";
import { startTestStack } from "#test/helpers/stack";

function lambdaContext(remainingMs: number): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "driftwatch-dev-resolveHostnames",
    functionVersion: "$LATEST",
    invokedFunctionArn:
      "arn:aws:lambda:us-east-1:123456789012:function:driftwatch-dev-resolveHostnames",
    memoryLimitInMB: "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/driftwatch-dev-resolveHostnames",
    logStreamName: "2026/08/22/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const scheduledEvent = (time: string) =>
  ({
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time,
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:123456789012:rule/driftwatch-dev-resolve"],
    detail: {},
  }) satisfies ScheduledEvent & Record<string, unknown>;

describe("resolve-hostnames Lambda handler", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    await new DynamoDbCatalogueStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).importCatalogue(await loadCatalogueFile(), new Date("2026-08-01T00:00:00Z"));
    env = {
      DRIFTWATCH_TABLE_NAME: stack.tableName,
      DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3",
      DRIFTWATCH_DNS_SERVERS: dns.address,
      DRIFTWATCH_DNS_TIMEOUT_MS: "300",
      DRIFTWATCH_DNS_TRIES: "1",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
    };
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
    const event = scheduledEvent("2026-08-22T10:15:00Z");

    // Act
    const first: ResolveHostnamesResponse = await handler(event, lambdaContext(60_000));
    const redelivered: ResolveHostnamesResponse = await handler(
      { ...event, id: "another-delivery" },
      lambdaContext(60_000),
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
    expect(redelivered).toMatchObject({ runId: "2026-08-22T10:15Z", duplicateRun: true });
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
      handler({ source: "aws.s3", time: "yesterday" }, lambdaContext(60_000)),
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
  });
});
