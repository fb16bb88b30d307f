import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ESTATE_FILES } from "#shared/catalogue/generate/zone-files";

/**
 * One `driftwatch detect --json` in a new process, as a user runs it, with `DRIFTWATCH_PROFILE=1`
 * (cli/detect-profile.ts): its wall time, exit code, report summary, profile line, and its RSS
 * polled from /proc every 100 ms (a timeline to tell which phase holds the memory).
 */
export interface DetectProfileLine {
  phases: Record<string, number>;
  dns: { lookups: number };
  aws: {
    calls: Record<"dynamodb" | "s3" | "sns" | "sqs", number>;
    writes: number;
    operations: Record<string, Record<string, { calls: number; items: number }>>;
    /** The calls made after each phase mark, by `service.Operation`. */
    byPhase?: Record<string, Record<string, number>>;
  };
  /** RSS and V8 heap in use at each phase (the heap is live under `--expose-gc`). */
  memory?: Record<string, { rssMb: number; heapUsedMb: number; externalMb: number }>;
  maxRssMb: number;
}

export interface DetectRunResult {
  wallMs: number;
  code: number | null;
  summary: Record<string, number>;
  profile: DetectProfileLine;
  /** [ms since spawn, VmRSS in MB]. */
  rss: [number, number][];
}

const PROFILE_PREFIX = "driftwatch profile: ";

async function vmRssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => null);
  const kb = status === null ? null : /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb == null ? null : Math.round(Number(kb) / 1024);
}

export async function detectRun(options: {
  cwd: string;
  /** `bin/driftwatch.js` and the detect arguments. */
  args: readonly string[];
  /** Node flags before the script, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
}): Promise<DetectRunResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, DRIFTWATCH_PROFILE: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const rss: [number, number][] = [];
  const poll = setInterval(() => {
    const at = Math.round(performance.now() - started);
    if (child.pid !== undefined)
      void vmRssMb(child.pid).then((mb) => {
        if (mb !== null) rss.push([at, mb]);
      });
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearInterval(poll);
  const wallMs = performance.now() - started;
  const line = stderr.split("\n").find((l) => l.startsWith(PROFILE_PREFIX));
  if (code === 1 || code === null || line === undefined) {
    throw new Error(`detect failed (exit ${code}): ${stderr.slice(-3000)}`);
  }
  const report = JSON.parse(stdout) as { summary: Record<string, number> };
  return {
    wallMs,
    code,
    summary: report.summary,
    profile: JSON.parse(line.slice(PROFILE_PREFIX.length)) as DetectProfileLine,
    rss,
  };
}

/**
 * The arguments of a steady-state `driftwatch detect` of the generated estate in `dir` (its
 * state in `dir/state`) against `dnsAddress`, with the feed fixtures of the project at `root`.
 */
export function detectArgs(root: string, dir: string, dnsAddress: string): string[] {
  const fixture = (path: string) => pathToFileURL(join(root, "fixtures", path)).href;
  return [
    join(root, "bin/driftwatch.js"),
    "detect",
    "--catalogue",
    join(dir, ESTATE_FILES.catalogue),
    "--dns-server",
    dnsAddress,
    "--state-dir",
    join(dir, "state"),
    "--aws-ip-ranges-url",
    fixture("feeds/aws-ip-ranges/ip-ranges-2026-08-21-18-17-05.json.gz"),
    "--cloudfront-url",
    fixture("feeds/cloudfront/list-cloudfront-ips.json.gz"),
    // The NXDOMAIN names' resolution-failed events are committed by the warm-up run, so the
    // timed runs are steady state (a failure streak of 1 already reaches the threshold).
    "--failure-threshold",
    "1",
    // No lookup is cut short by the run deadline, however long the steps before DNS take.
    "--deadline",
    "900",
    "--json",
  ];
}
