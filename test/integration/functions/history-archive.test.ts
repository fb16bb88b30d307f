import { gunzipSync } from "node:zlib";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { resolvableHostnames } from "#shared/catalogue/schema";
import type { HistoryArchiveLine } from "#shared/record/history-archive";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { startTestStack } from "#test/helpers/stack";

/**
 * The resolve-hostnames handler archives each run's history to the bucket (fauxqs S3) as gzipped
 * JSON Lines under `history/dt=YYYY-MM-DD/<runId>.jsonl.gz`, after the run is judged.
 */

function context(): Context {
  return lambdaContext({
    functionName: "driftwatch-dev-resolveHostnames",
    getRemainingTimeInMillis: () => 60_000,
  });
}

describe("resolve-hostnames: the run history archive", () => {
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
      DRIFTWATCH_BUCKET_NAME: stack.bucketName,
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

  async function archived(key: string): Promise<{ lines: HistoryArchiveLine[]; type?: string }> {
    const object = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.bucketName, Key: key }),
    );
    const bytes = await object.Body?.transformToByteArray();
    const text = gunzipSync(bytes ?? new Uint8Array()).toString("utf8");
    return {
      lines: text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as HistoryArchiveLine),
      ...(object.ContentType !== undefined ? { type: object.ContentType } : {}),
    };
  }

  it("writes every hostname's observation of the run under the run's day, and the same object again when redelivered", async () => {
    // Prepare
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    const handler = createResolveHostnamesHandler(env, { clients: stack.clients });
    const event = scheduledEvent("2026-08-22T23:45:00Z", "driftwatch-dev-resolve");

    // Act
    const first = await handler(event, context());
    const before = await archived(first.historyArchive ?? "");
    const again = await handler({ ...event, id: "redelivery" }, context());
    const after = await archived(again.historyArchive ?? "");

    // Assess
    // Partitioned by the run's observation time (the first attempt's clock), a UTC day.
    const day = before.lines[0]?.observed_at.slice(0, 10);
    expect(first.historyArchive).toBe(`history/dt=${day}/2026-08-22T23:45Z.jsonl.gz`);
    expect(again.historyArchive).toBe(first.historyArchive);
    expect(before.type).toBe("application/x-ndjson");
    const hostnames = resolvableHostnames(await loadCatalogueFile());
    expect(before.lines.map((line) => line.hostname)).toEqual([...hostnames].sort());
    expect(new Set(before.lines.map((line) => line.run_id))).toEqual(
      new Set(["2026-08-22T23:45Z"]),
    );
    const appliance = before.lines.find((l) => l.hostname === "applianceupdate.clearswift.com");
    expect(appliance?.observed.map((ip) => ip.ip)).toEqual(["40.113.232.243"]);
    expect(appliance?.answers[0]?.a).toEqual([{ ip: "40.113.232.243", ttl: 300 }]);
    expect(after.lines).toEqual(before.lines);
  });
});
