import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a `driftwatch` child process left behind. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface CliProcess {
  child: ChildProcess;
  /** Settles when the process has exited and its output is read. */
  exited: Promise<CliRun>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Starts `node bin/driftwatch.js ARGS` in embedded mode (the AWS variables removed), the way a
 * user runs it. Spawned asynchronously: the test process keeps serving DNS meanwhile. A child
 * still running after `killAfterMs` is killed, so a hang is a failure to report, not a test that
 * never ends. `extraEnv` adds variables (e.g. a fault injector preloaded through NODE_OPTIONS).
 * bin/driftwatch.js runs the build in dist/, rebuilt first if a source changed since; `root` is
 * the checkout whose bin runs (this one unless a test copied it).
 */
export function spawnDriftwatch(
  args: string[],
  killAfterMs = 60_000,
  extraEnv: Record<string, string> = {},
  root = ROOT,
): CliProcess {
  const env = { ...process.env, ...extraEnv };
  for (const name of ["AWS_REGION", "DRIFTWATCH_TABLE_NAME"]) delete env[name];
  const started = performance.now();
  const child = spawn(process.execPath, ["bin/driftwatch.js", ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<CliRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
  return { child, exited };
}
