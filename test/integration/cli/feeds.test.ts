import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type FeedsCommandOptions, runFeedsCommand } from "#cli/commands/feeds";
import { main } from "#cli/main";
import { RuntimeConfigError } from "#cli/runtime";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import { useAwsModeStack } from "#test/helpers/aws-env";
import { awsIpRangesUrl, CLOUDFRONT_URL, fileUrl } from "#test/helpers/feed-fixtures";

/** No AWS variables: the embedded store in the state directory. */
const EMBEDDED: NodeJS.ProcessEnv = {};

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "driftwatch-feeds-cli-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

async function run(options: Partial<FeedsCommandOptions>, at: string, env = EMBEDDED) {
  let stdout = "";
  let stderr = "";
  const code = await runFeedsCommand(
    {
      awsIpRangesUrl: awsIpRangesUrl("2026-08-21-18-57-05"),
      cloudfrontUrl: CLOUDFRONT_URL,
      stateDir,
      ...options,
    },
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
    env,
    () => new Date(at),
  );
  return { code, stdout, stderr };
}

describe("driftwatch feeds", () => {
  it("records a baseline, then reports what changed since the previous run in the same state directory", async () => {
    // Act
    const first = await run({}, "2026-08-21T19:00:00Z");
    const second = await run(
      { awsIpRangesUrl: awsIpRangesUrl("2026-08-21-21-17-05") },
      "2026-08-21T21:20:00Z",
    );

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "aws-ip-ranges  updated       syncToken 1787338625 (2026-08-21-18-57-05)  10666 v4 / 6160 v6",
    );
    expect(first.stdout).toContain("baseline: 16826 prefixes recorded");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("+2 -0 (2 removals pending in the flap grace period)");
    expect(second.stdout).toContain("+ 23.254.40.0/23           AMAZON ca-central-1");
    expect(second.stdout).toMatch(/cloudfront\s+unchanged\s+sha256 900b79b60c3b\s+131 v4 \/ 0 v6/);
  });

  it("prints the results as JSON, a baseline as a count", async () => {
    const first = await run({ json: true }, "2026-08-21T19:00:00Z");
    const second = await run(
      { json: true, awsIpRangesUrl: awsIpRangesUrl("2026-08-21-21-17-05") },
      "2026-08-21T21:20:00Z",
    );

    const baseline = JSON.parse(first.stdout).feeds[0];
    expect(baseline.diff).toMatchObject({ baseline: true, added: 16826, from: null });
    const update = JSON.parse(second.stdout).feeds[0];
    expect(update).toMatchObject({
      feed: "aws-ip-ranges",
      status: "updated",
      confirmedAt: "2026-08-21T21:20:00.000Z",
    });
    expect(update.diff.baseline).toBe(false);
    expect(update.diff.added.map((p: { prefix: string }) => p.prefix)).toEqual([
      "23.254.40.0/23",
      "23.254.40.0/23",
    ]);
    expect(update.diff.groups).toContainEqual({
      service: "EC2",
      region: "ca-central-1",
      family: 4,
      added: ["23.254.40.0/23"],
      removed: [],
    });
  });

  it("exits 1 naming the feed and the reason when a feed cannot be fetched", async () => {
    const result = await run(
      { cloudfrontUrl: fileUrl(join(stateDir, "nowhere.json")) },
      "2026-08-21T19:00:00Z",
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/cloudfront\s+unreachable\s+no snapshot yet/);
    expect(result.stdout).toContain("feed cloudfront unreachable: ENOENT reading file:");
  });

  it("is registered on the driftwatch command line", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });

    const code = await main([
      "feeds",
      "--aws-ip-ranges-url",
      awsIpRangesUrl("2026-08-21-22-37-05"),
      "--cloudfront-url",
      CLOUDFRONT_URL,
      "--state-dir",
      stateDir,
      "--json",
    ]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout).feeds.map((f: { status: string }) => f.status)).toEqual([
      "updated",
      "updated",
    ]);
  });
});

describe("driftwatch feeds with the AWS variables set", () => {
  const aws = useAwsModeStack();

  it("ingests into the table and bucket they name, not into the state directory", async () => {
    // Act
    const result = await run({}, "2026-08-21T19:00:00Z", aws.env);

    // Assess
    expect(result.code).toBe(0);
    const pointers = createDynamoFeedPointerStore({
      documents: aws.stack.clients.documents,
      tableName: aws.stack.tableName,
    });
    expect((await pointers.get("aws-ip-ranges"))?.meta).toMatchObject({
      syncToken: "1787338625",
      prefixCount: { v4: 10666, v6: 6160 },
    });
    expect(existsSync(join(stateDir, "dynamodb"))).toBe(false);
  });

  it("names DRIFTWATCH_BUCKET_NAME when it is missing, as the archive needs a bucket", async () => {
    // Prepare
    const { DRIFTWATCH_BUCKET_NAME: _bucket, ...withoutBucket } = aws.env;

    // Act
    const running = run({}, "2026-08-21T19:00:00Z", withoutBucket);

    // Assess
    await expect(running).rejects.toThrow(RuntimeConfigError);
    await expect(running).rejects.toThrow(/^DRIFTWATCH_BUCKET_NAME is not set/);
  });
});
