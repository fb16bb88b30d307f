import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDetectCommand } from "#cli/commands/detect";
import { detectProfile, PROFILE_PREFIX } from "#cli/detect-profile";
import type { AwsClients } from "#shared/adapters/aws/clients";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

const ZONE = join(import.meta.dirname, "../../../fixtures/dns/clearswift.zone");

/** A resolver whose lookups answer when the test says so. */
function pendingResolver() {
  const answers: (() => void)[] = [];
  const resolver: DnsResolver = {
    servers: ["127.0.0.1:53"],
    lookup: (request) =>
      new Promise((resolve) =>
        answers.push(() =>
          resolve({
            resolver: request.server,
            outcome: "nxdomain",
            cnameChain: [],
            a: [],
            aaaa: [],
          }),
        ),
      ),
    close() {},
  };
  return { resolver, answerNext: () => answers.shift()?.() };
}

/** A DynamoDB client whose requests never leave the process: each gets an empty 200 answer. */
function offlineDynamoDb() {
  const dynamodb = new DynamoDBClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  dynamodb.middlewareStack.add(
    () => async () => ({ output: { $metadata: {} }, response: {} }) as never,
    { step: "finalizeRequest", priority: "high", name: "offlineAnswer" },
  );
  return { dynamodb, documents: DynamoDBDocumentClient.from(dynamodb) };
}

function profileOf(stderr: string) {
  const line = stderr.split("\n").find((l) => l.startsWith(PROFILE_PREFIX));
  return line === undefined ? null : JSON.parse(line.slice(PROFILE_PREFIX.length));
}

describe("detect profile (DRIFTWATCH_PROFILE=1)", () => {
  it("is off unless DRIFTWATCH_PROFILE is 1: the resolver and the clients as they are, nothing printed", () => {
    // Prepare
    const { resolver } = pendingResolver();
    const { dynamodb } = offlineDynamoDb();
    const before = dynamodb.middlewareStack.identify();
    // Act
    const profile = detectProfile({ DRIFTWATCH_PROFILE: "yes" });
    profile.mark("catalogue loaded");
    profile.countAwsCalls({ dynamodb } as AwsClients);
    // Assess
    expect(profile.resolver(resolver)).toBe(resolver);
    expect(dynamodb.middlewareStack.identify()).toEqual(before);
    expect(profile.report()).toBe("");
  });

  it("times the first lookup asked, the last answered and each mark, in ms since the process started", async () => {
    // Prepare
    let now = 100;
    const profile = detectProfile(
      { DRIFTWATCH_PROFILE: "1" },
      () => now,
      () => 204_800,
      () => ({
        ...process.memoryUsage(),
        rss: 300 * 2 ** 20,
        heapUsed: 100 * 2 ** 20,
        external: 2 * 2 ** 20,
      }),
    );
    const { resolver, answerNext } = pendingResolver();
    const timed = profile.resolver(resolver);
    const ask = () =>
      timed.lookup({
        hostname: "a.example",
        server: "127.0.0.1:53",
        walkCnames: true,
        deadline: 1e15,
      });
    // Act
    now = 150;
    profile.mark("catalogue loaded");
    profile.stage({ stage: "feeds", done: 0, total: 2 });
    now = 200;
    const first = ask();
    now = 210;
    const second = ask();
    now = 300;
    answerNext();
    await first;
    now = 450;
    answerNext();
    await second;
    profile.stage({ stage: "resolve", done: 2, total: 2 });
    now = 500;
    profile.stage({ stage: "compare" });
    profile.mark("catalogue loaded");
    const report = profileOf(profile.report());
    // Assess
    expect(report.phases).toEqual({
      "command started": 100,
      "catalogue loaded": 150,
      "backlog judged": 150,
      "first dns lookup": 200,
      "last dns answer": 450,
      "all hostnames resolved": 450,
      "compare started": 500,
    });
    expect(report.dns).toEqual({ lookups: 2 });
    expect(Object.keys(report.memory)).toEqual([
      "command started",
      "catalogue loaded",
      "backlog judged",
      "first dns lookup",
      "all hostnames resolved",
      "compare started",
    ]);
    expect(report.memory["compare started"]).toEqual({
      rssMb: 300,
      heapUsedMb: 100,
      externalMb: 2,
    });
    expect(report.maxRssMb).toBe(200);
  });

  it("counts the commands each client sends, and the items written, through the document client too", async () => {
    // Prepare
    const profile = detectProfile({ DRIFTWATCH_PROFILE: "1" });
    const { dynamodb, documents } = offlineDynamoDb();
    profile.countAwsCalls({
      dynamodb,
      documents,
      s3: offlineDynamoDb().dynamodb,
      sns: offlineDynamoDb().dynamodb,
      sqs: offlineDynamoDb().dynamodb,
    } as unknown as AwsClients);
    // Act
    await documents.send(new PutCommand({ TableName: "t", Item: { pk: "a" } }));
    await documents.send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));
    await documents.send(
      new BatchWriteCommand({
        RequestItems: {
          t: [{ PutRequest: { Item: { pk: "b" } } }, { DeleteRequest: { Key: { pk: "c" } } }],
        },
      }),
    );
    const report = profileOf(profile.report());
    // Assess
    expect(report.aws.calls).toEqual({ dynamodb: 3, s3: 0, sns: 0, sqs: 0 });
    expect(report.aws.writes).toBe(3);
    expect(report.aws.byPhase).toEqual({
      "command started": {
        "dynamodb.PutItem": 1,
        "dynamodb.GetItem": 1,
        "dynamodb.BatchWriteItem": 1,
      },
    });
    expect(report.aws.operations.dynamodb).toEqual({
      PutItemCommand: { calls: 1, items: 1 },
      GetItemCommand: { calls: 1, items: 0 },
      BatchWriteItemCommand: { calls: 1, items: 2 },
    });
  });

  describe("driftwatch detect", () => {
    let scratch: string;
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), "driftwatch-profile-"));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    async function detect(env: NodeJS.ProcessEnv) {
      let stderr = "";
      const code = await runDetectCommand(
        {
          dnsServer: [],
          stateDir: join(scratch, "state"),
          awsIpRangesUrl: awsIpRangesUrl("2026-08-21-18-17-05"),
          cloudfrontUrl: CLOUDFRONT_URL,
          catalogue: DEFAULT_CATALOGUE_PATH,
          samples: 1,
          timeoutMs: 500,
          deadline: 30,
          failureThreshold: 3,
          zone: ZONE,
          quiet: true,
        },
        { stdout: () => {}, stderr: (text) => (stderr += text) },
        env,
      );
      return { code, stderr };
    }

    it("prints one profile line with the phases in order and the calls it made, only when asked", async () => {
      // Act
      const plain = await detect({});
      const profiled = await detect({ DRIFTWATCH_PROFILE: "1" });
      const report = profileOf(profiled.stderr);
      // Assess
      expect(plain.code).toBe(0);
      expect(plain.stderr).toBe("");
      expect(profiled.code).toBe(0);
      expect(Object.keys(report.phases)).toEqual([
        "command started",
        "catalogue loaded",
        "store opened",
        "backlog judged",
        "first dns lookup",
        "last dns answer",
        "all hostnames resolved",
        "compare started",
        "cycle done",
        "report printed",
        "store closed",
      ]);
      const times = Object.values(report.phases) as number[];
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(report.dns.lookups).toBe(48);
      expect(report.aws.calls.dynamodb).toBeGreaterThan(0);
      expect(report.aws.operations.sns).toEqual({});
      expect(report.maxRssMb).toBeGreaterThan(0);
    });
  });
});
