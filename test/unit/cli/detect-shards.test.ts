import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DetectCommandOptions, runDetectCommand } from "#cli/commands/detect";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";

/**
 * `driftwatch detect --shards N`: the run resolved in shards with the sharded run's use cases,
 * in this process, reports what the unsharded run reports.
 */
describe("driftwatch detect --shards", () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), "driftwatch-detect-shards-"));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function run(stateDir: string, shards?: number) {
    const options: DetectCommandOptions = {
      dnsServer: [],
      stateDir: join(scratch, stateDir),
      awsIpRangesUrl: "file:///nonexistent/ip-ranges.json",
      cloudfrontUrl: "file:///nonexistent/cloudfront.json",
      catalogue: DEFAULT_CATALOGUE_PATH,
      samples: 1,
      timeoutMs: 300,
      deadline: 20,
      failureThreshold: 3,
      zone: "fixtures/dns/clearswift.zone",
      json: true,
      ...(shards === undefined ? {} : { shards }),
    };
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runDetectCommand(options, {
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
    });
    return {
      code,
      stderr: stderr.join(""),
      report: JSON.parse(stdout.join("")) as Record<string, unknown>,
    };
  }

  it("reports the same run in 3 shards as in one", async () => {
    // Act
    const whole = await run("whole");
    const sharded = await run("sharded", 3);

    // Assess
    expect(sharded.stderr).toBe("");
    expect(sharded.code).toBe(whole.code);
    const {
      runId: _a,
      durationMs: _b,
      ...wholeSummary
    } = whole.report.summary as Record<string, unknown>;
    const {
      runId: _c,
      durationMs: _d,
      ...shardedSummary
    } = sharded.report.summary as Record<string, unknown>;
    expect(shardedSummary).toEqual(wholeSummary);
    expect(JSON.stringify(sharded.report.summary)).toContain("48");
  }, 60_000);
});
