import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DetectCommandOptions, runDetectCommand } from "#cli/commands/detect";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";

describe("driftwatch detect --zone", () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), "driftwatch-detect-"));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  function options(zone: string): DetectCommandOptions {
    return {
      dnsServer: [],
      stateDir: join(scratch, "state"),
      awsIpRangesUrl: "file:///nonexistent/ip-ranges.json",
      cloudfrontUrl: "file:///nonexistent/cloudfront.json",
      catalogue: DEFAULT_CATALOGUE_PATH,
      samples: 1,
      timeoutMs: 100,
      deadline: 5,
      failureThreshold: 3,
      zone,
    };
  }

  async function run(zone: string) {
    const stderr: string[] = [];
    const code = await runDetectCommand(options(zone), {
      stdout: () => {},
      stderr: (text) => stderr.push(text),
    });
    return { code, stderr: stderr.join("") };
  }

  it("exits 1 naming the flag and the file when the zone file does not exist", async () => {
    // Act
    const { code, stderr } = await run(join(scratch, "missing.zone"));

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(`--zone ${join(scratch, "missing.zone")}: ENOENT`);
  });

  it("exits 1 naming the file and the line when the zone file is malformed", async () => {
    // Prepare
    const zoneFile = join(scratch, "bad.zone");
    await writeFile(zoneFile, "garbage line here\n");

    // Act
    const { code, stderr } = await run(zoneFile);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`--zone ${zoneFile}: .*line 1`));
  });
});
