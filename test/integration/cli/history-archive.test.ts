import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "#cli/main";
import type { HistoryArchiveLine } from "#shared/record/history-archive";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

/** `driftwatch detect` archives its run's history to the embedded bucket, mirrored on disk. */

const dirs: string[] = [];
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("driftwatch detect: the run history archive", () => {
  it("writes the run's JSON Lines to the embedded bucket under history/dt=YYYY-MM-DD/", async () => {
    // Prepare
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-archive-"));
    dirs.push(stateDir);
    const quiet = vi.spyOn(process.stdout, "write").mockImplementation(() => true);

    // Act
    const code = await main([
      "detect",
      "--quiet",
      "--zone",
      "fixtures/dns/clearswift.zone",
      "--state-dir",
      stateDir,
      "--aws-ip-ranges-url",
      awsIpRangesUrl("2026-08-21-18-17-05"),
      "--cloudfront-url",
      CLOUDFRONT_URL,
    ]);
    quiet.mockRestore();
    process.exitCode = undefined;

    // Assess
    expect(code).toBe(0);
    const history = join(stateDir, "s3", "driftwatch-local", "history");
    const [partition, ...others] = await readdir(history);
    expect(others).toEqual([]);
    expect(partition).toBe(`dt=${new Date().toISOString().slice(0, 10)}`);
    const [file] = await readdir(join(history, partition ?? ""));
    expect(file).toMatch(/^cli-.*\.jsonl\.gz$/);
    const text = gunzipSync(await readFile(join(history, partition ?? "", file ?? ""))).toString();
    const lines = text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as HistoryArchiveLine);
    expect(lines).toHaveLength(48);
    expect(lines.every((line) => `${line.run_id}.jsonl.gz` === file)).toBe(true);
  }, 120_000);
});
