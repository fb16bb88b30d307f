/**
 * Steady-state `driftwatch detect` of the whole shipped catalogue against a loopback DNS server,
 * timed as a user runs it: a new process each time (start-up, tsx, the embedded dynalite and
 * fauxqs included). One warm-up run lays down the state; the timed runs are steady state (the
 * same zone, the same feed files).
 *
 *   npx tsx bench/detect.bench.ts [--runs 7]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { detectRun } from "./scale/detect-run";

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Number(values.runs);
const root = resolve(import.meta.dirname, "..");
const fixture = (path: string) => pathToFileURL(join(root, "fixtures", path)).href;

const dns = await startZoneDnsServer({ zoneFile: join(root, "fixtures/dns/clearswift.zone") });
const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-bench-"));
const args = [
  join(root, "bin/driftwatch.js"),
  "detect",
  "--dns-server",
  dns.address,
  "--state-dir",
  stateDir,
  "--aws-ip-ranges-url",
  fixture("feeds/aws-ip-ranges/ip-ranges-2026-08-21-18-17-05.json.gz"),
  "--cloudfront-url",
  fixture("feeds/cloudfront/list-cloudfront-ips.json.gz"),
  "--json",
];

/**
 * One detect in a new process (bench/scale/detect-run.ts: spawned without blocking, so the
 * loopback DNS server answers from this process's event loop).
 */
async function detect(): Promise<{
  ms: number;
  code: number | null;
  hostnames: number;
  resolved: number;
}> {
  const run = await detectRun({ cwd: root, args });
  return {
    ms: run.wallMs,
    code: run.code,
    hostnames: run.summary.hostnames ?? Number.NaN,
    resolved: run.summary.resolved ?? Number.NaN,
  };
}

try {
  const warmUp = await detect();
  console.log(`warm-up (first run): ${warmUp.ms.toFixed(0)} ms, exit ${warmUp.code}`);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await detect();
    times.push(run.ms);
    console.log(
      `run ${i + 1}: ${run.ms.toFixed(0)} ms, ${run.resolved}/${run.hostnames} hostnames resolved, exit ${run.code}`,
    );
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  console.log(
    `steady-state detect, ${runs} runs: median ${median.toFixed(0)} ms, min ${sorted[0]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms (target < 4000 ms)`,
  );
} finally {
  await dns.stop();
  await rm(stateDir, { recursive: true, force: true });
}
