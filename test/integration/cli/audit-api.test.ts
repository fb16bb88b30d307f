import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { type AuditApiServer, startAuditApiServer } from "#test/helpers/audit-api-server";
import { awsModeEnv } from "#test/helpers/aws-env";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";
import { detectJsonArgs } from "#test/helpers/detect-args";
import { startTestStack } from "#test/helpers/stack";

/**
 * `--api URL` against the audit router behind a loopback server, over the table two real
 * detection runs wrote (AWS mode on a test stack: dynalite, fauxqs, a loopback zone server, the
 * fixture feeds; a host moves in between): every query command answers exactly what it answers
 * from the table, and every request it sends is SigV4-signed for execute-api. The server does not
 * check signatures (API Gateway does); the test checks that the CLI sends one.
 */

const HOST = "applianceupdate.clearswift.com";
const MOVED_TO = "40.113.232.250";

let stack: EmbeddedStack;
let dns: ZoneDnsServer;
let api: AuditApiServer;
let stateDir: string;
let firstRunAt: string;
/** After both runs: the JSON answers of state and changes name their time, so both sides pin it. */
let afterRuns: string;

beforeAll(async () => {
  // Prepare: the test stack posing as AWS, the catalogue imported, two detection runs.
  stack = await startTestStack();
  for (const [name, value] of Object.entries({
    ...awsModeEnv(stack),
    DRIFTWATCH_TOPIC_ARN: stack.topicArn,
    AWS_ENDPOINT_URL_SNS: stack.messagingEndpoint,
  })) {
    vi.stubEnv(name, value);
  }
  const catalogue = await loadCatalogueFile();
  await createDynamoDbCatalogueStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  }).importCatalogue(catalogue, new Date());
  stateDir = await mkdtemp(join(tmpdir(), "driftwatch-audit-api-"));
  dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
  const first = await driftwatch(detectJsonArgs(dns.address, stateDir, "2026-08-21-18-57-05"));
  expect(first.code, first.stderr).not.toBe(1);
  firstRunAt = new Date().toISOString();
  dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
  const second = await driftwatch(detectJsonArgs(dns.address, stateDir, "2026-08-21-21-17-05"));
  expect(second.code, second.stderr).toBe(2);
  afterRuns = new Date().toISOString();
  api = await startAuditApiServer(stack, catalogue.id);
}, 180_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await api?.close();
  await dns?.stop();
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const today = () => new Date().toISOString().slice(0, 10);

describe("driftwatch queries with --api, against the table's own answers", () => {
  const questions: [string, () => string[]][] = [
    ["state", () => ["state", "--at", afterRuns, "--json"]],
    ["state --at the first run", () => ["state", "--at", firstRunAt, "--json"]],
    ["changes", () => ["changes", "--from", today(), "--to", afterRuns, "--json"]],
    ["changes --csv", () => ["changes", "--from", today(), "--csv"]],
    ["history", () => ["history", HOST, "--json"]],
    ["history --limit 1", () => ["history", HOST, "--limit", "1", "--json"]],
    ["history --at", () => ["history", HOST, "--at", firstRunAt, "--json"]],
    ["ip", () => ["ip", MOVED_TO, "--json"]],
    ["events", () => ["events", "--json"]],
    ["events --type", () => ["events", "--type", "ip-added", "--limit", "2", "--json"]],
    ["notifications", () => ["notifications", "--json"]],
    ["notifications --csv", () => ["notifications", "--csv"]],
  ];

  it.each(questions)("%s: the same answer from the API as from the table", async (_name, args) => {
    // Act
    const fromTable = await driftwatch([...args(), "--state-dir", stateDir]);
    const asked = api.requests.length;
    const fromApi = await driftwatch([...args(), "--api", api.url]);

    // Assess
    expect(fromTable.code, fromTable.stderr).toBe(0);
    expect(fromApi.code, fromApi.stderr).toBe(0);
    expect(fromApi.stdout).toBe(fromTable.stdout);
    expect(fromApi.stdout.length).toBeGreaterThan(20);
    expect(api.requests.length).toBeGreaterThan(asked);
    expect(api.errors).toEqual([]);
  });

  it("answers from real data: the moved host's new IP entered, and was notified", async () => {
    const changes = await driftwatch(["changes", "--from", today(), "--json", "--api", api.url]);
    const notifications = await driftwatch(["notifications", "--json", "--api", api.url]);

    expect(JSON.parse(changes.stdout).changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ hostname: HOST, change: "entered", ip: MOVED_TO }),
      ]),
    );
    expect(JSON.parse(notifications.stdout).notifications.length).toBeGreaterThan(0);
  });

  it("signs every request with SigV4 for execute-api, with the caller's credentials", () => {
    expect(api.requests.length).toBeGreaterThan(10);
    for (const request of api.requests) {
      expect(request.headers.authorization, request.url).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=local/\\d{8}/${stack.region}/execute-api/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`,
        ),
      );
      expect(request.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    }
  });

  it("says a hostname never observed is unknown to the API, exit 1", async () => {
    const { code, stdout, stderr } = await driftwatch([
      "history",
      "never.example.com",
      "--api",
      api.url,
    ]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("never.example.com has never been observed in the audit API at");
  });

  it("refuses an --api that is not an http(s) URL, naming it", async () => {
    const { code, stderr } = await driftwatch(["events", "--api", "ftp://example.com"]);

    expect(code).toBe(1);
    expect(stderr).toContain('--api: "ftp://example.com" is not an http(s) URL');
  });
});
