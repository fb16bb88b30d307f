import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DetectCommandOptions, runDetectCommand } from "#cli/commands/detect";
import { openRuntime, StateDirectoryInUseError } from "#cli/runtime";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";

/**
 * One process at a time uses a state directory (dynalite's LevelDB is not shared): a second one
 * is refused with a clear error, and the lock of a process that is gone is taken over.
 */

describe("state directory lock", () => {
  let scratch: string;
  let stateDir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), "driftwatch-lock-"));
    stateDir = join(scratch, "state");
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await rm(scratch, { recursive: true, force: true });
  });

  /** A process that stays alive until the test ends. */
  async function liveProcess(): Promise<number> {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    children.push(child);
    await once(child, "spawn");
    return child.pid ?? 0;
  }

  /** The pid of a process that has exited. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    return child.pid ?? 0;
  }

  it("refuses a second runtime on the directory while the first is open, and allows one after", async () => {
    // Prepare
    const first = await openRuntime({ stateDir, env: {} });

    // Act
    const second = await openRuntime({ stateDir, env: {} }).catch((error: unknown) => error);
    await first.close();
    const third = await openRuntime({ stateDir, env: {} });
    await third.close();

    // Assess
    expect(second).toBeInstanceOf(StateDirectoryInUseError);
    expect((second as Error).message).toContain(`state directory ${stateDir} is in use`);
  });

  it("takes over the lock of a process that is gone", async () => {
    // Prepare: a run killed with SIGKILL left its lock
    const first = await openRuntime({ stateDir, env: {} });
    await first.close();
    await writeFile(join(stateDir, "lock"), `${await deadPid()}\n`);

    // Act
    const runtime = await openRuntime({ stateDir, env: {} });
    const held = await readFile(join(stateDir, "lock"), "utf8");
    await runtime.close();

    // Assess
    expect(held).toBe(`${process.pid}\n`);
    await expect(readFile(join(stateDir, "lock"), "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("makes detect exit 1 with one line naming the directory and the process, no stack trace", async () => {
    // Prepare: another live process holds the directory
    const first = await openRuntime({ stateDir, env: {} });
    await first.close();
    const pid = await liveProcess();
    await writeFile(join(stateDir, "lock"), `${pid}\n`);
    const options: DetectCommandOptions = {
      dnsServer: ["127.0.0.1:9"],
      stateDir,
      awsIpRangesUrl: "file:///nonexistent/ip-ranges.json",
      cloudfrontUrl: "file:///nonexistent/cloudfront.json",
      catalogue: DEFAULT_CATALOGUE_PATH,
      samples: 1,
      timeoutMs: 100,
      deadline: 5,
      failureThreshold: 3,
    };
    const stdout: string[] = [];
    const stderr: string[] = [];

    // Act
    const code = await runDetectCommand(
      options,
      { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) },
      {},
    );

    // Assess
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr.join("")).toBe(
      `driftwatch detect: state directory ${stateDir} is in use by another driftwatch process (pid ${pid}); if no driftwatch is running, delete ${join(stateDir, "lock")}\n`,
    );
    expect(await readFile(join(stateDir, "lock"), "utf8")).toBe(`${pid}\n`);
  });
});
