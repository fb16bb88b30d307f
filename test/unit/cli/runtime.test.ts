import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runDemoTour } from "#cli/demo/tour";
import { main } from "#cli/main";
import { openRuntime, RuntimeConfigError } from "#cli/runtime";

describe("openRuntime's state directory", () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), "driftwatch-runtime-"));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("names the flag and the directory when the kernel refuses to create it, without hanging", async () => {
    // Act
    const opening = openRuntime({ stateDir: "/proc/driftwatch-state", env: {} });

    // Assess
    await expect(opening).rejects.toThrow(RuntimeConfigError);
    await expect(opening).rejects.toThrow("--state-dir /proc/driftwatch-state");
  });

  it("rejects a state directory below a regular file", async () => {
    // Prepare
    const file = join(scratch, "not-a-folder");
    await writeFile(file, "x");

    // Act
    const opening = openRuntime({ stateDir: join(file, "state"), env: {} });

    // Assess
    await expect(opening).rejects.toThrow(/cannot create or write to .*not-a-folder/);
  });

  it("creates missing parents and leaves nothing but the stores in the state directory", async () => {
    // Prepare
    const stateDir = join(scratch, "a", "b", "state");

    // Act
    const runtime = await openRuntime({ stateDir, env: {} });
    await runtime.close();

    // Assess
    expect((await readdir(stateDir)).filter((name) => name.startsWith(".write-check"))).toEqual([]);
    expect(await readdir(stateDir)).toContain("dynamodb");
  });

  it("gives the demo's --keep the same check, naming that flag", async () => {
    // Act
    const touring = runDemoTour({ write: () => {}, keep: "/proc/driftwatch-demo" });

    // Assess
    await expect(touring).rejects.toThrow("--keep /proc/driftwatch-demo: cannot create or write");
  });

  it("prints the reason the directory was refused, not only that it was", async () => {
    // Prepare
    const stderr: string[] = [];
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });

    // Act
    const code = await main(["feeds", "--state-dir", "/proc/driftwatch-feeds"]).finally(() => {
      err.mockRestore();
      process.exitCode = undefined;
    });

    // Assess
    expect(code).toBe(1);
    expect(stderr.join("")).toContain(
      "--state-dir /proc/driftwatch-feeds: cannot create or write to /proc/driftwatch-feeds (cause: ENOENT",
    );
  });
});
