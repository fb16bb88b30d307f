/**
 * What the resolve-hostnames Lambda itself needs in memory at N hostnames: its handler, bundled
 * with the deployment's esbuild options (serverless.yml `custom.esbuild`), alone in a Node process
 * (`--enable-source-maps --max-semi-space-size=32`, as deployed), against dynalite and fauxqs in
 * ANOTHER process (bench/lambda-memory/fakes.ts: the catalogue imported, both feeds ingested) and NSD on loopback
 * serving the generated estate (the project's loopback server when NSD cannot be had). A first
 * run (no history: every host new, every allowlist written) in one process, then the steady runs
 * in another (a cold start, then warm invocations of the same instance). Each invocation prints
 * its peak RSS and V8 heap (sampled every 50 ms in the function's process) and getrusage's maxRSS.
 *
 *   npm run bench:lambda-memory                       # 10,000 hosts, 3 steady runs
 *   npx tsx bench/lambda-memory.bench.ts --hosts 10000 --runs 3 [--memory 256] [--heap-prof DIR]
 *
 * --memory MB: run the function under Lambda's heap limit for that size (the Node runtime's
 * `--max-old-space-size`, ~90% of the memory), to see that it completes; --heap-prof DIR: write a
 * V8 sampling heap profile of each function process there; --retained: a full GC after each
 * invocation (`--expose-gc`) and the heap it leaves, what a warm instance keeps for the next
 * invocation; --heap-snapshot DIR: that, and a heap snapshot after each invocation in DIR/first
 * and DIR/steady.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { generateEstate } from "#shared/catalogue/generate/generate-estate";
import { ESTATE_FILES, estateFiles } from "#shared/catalogue/generate/zone-files";
import { ensureNsd, startNsd } from "./scale/nsd-server";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "10000" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    memory: { type: "string" },
    "heap-prof": { type: "string" },
    retained: { type: "boolean", default: false },
    "heap-snapshot": { type: "string" },
    dns: { type: "string", default: "nsd" },
  },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const root = resolve(import.meta.dirname, "..");
const log = (line: string) => console.log(line);
const INTERVAL_MS = 15 * 60_000;

/** The Lambda bundle of the function's process, with the deployment's esbuild options. */
async function bundle(dir: string): Promise<string> {
  const outfile = join(dir, "resolve-process.mjs");
  const plugins = createRequire(import.meta.url)(join(root, "build/esbuild-plugins.cjs"));
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "bench/lambda-memory/resolve-process.ts")],
    outfile,
    bundle: true,
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    banner: {
      js: "import { createRequire as __driftwatchCreateRequire } from 'node:module'; const require = __driftwatchCreateRequire(import.meta.url);",
    },
    plugins: plugins.filter((p: { name: string }) => p.name === "zod-english-only"),
    logLevel: "error",
  });
  return outfile;
}

async function startDns(dir: string): Promise<{ address: string; stop(): Promise<void> }> {
  if (values.dns === "nsd") {
    const unavailable = await ensureNsd(log);
    if (unavailable === null) {
      log("DNS: NSD on loopback");
      return startNsd(dir, join(dir, ESTATE_FILES.nsdZone));
    }
    log(`NSD unavailable (${unavailable}): the project's loopback server, in this process`);
  }
  return startZoneDnsServer({ zoneFile: join(dir, ESTATE_FILES.loopbackZone) });
}

/** The first JSON line the fakes' process prints: its endpoints. */
async function startFakes(catalogueFile: string): Promise<{ child: ChildProcess; info: Fakes }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "bench/lambda-memory/fakes.ts"), catalogueFile],
    { cwd: root, stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith("{")) return { child, info: JSON.parse(line) as Fakes };
  }
  throw new Error("the fakes' process exited before printing its endpoints");
}

interface Fakes {
  catalogueId: string;
  tableName: string;
  bucketName: string;
  dynamodbEndpoint: string;
  messagingEndpoint: string;
}

interface Invocation {
  time: string;
  ms: number;
  response: Record<string, number | boolean>;
  peakRssMb: number;
  peakHeapUsedMb: number;
  peakHeapTotalMb: number;
  peakExternalMb: number;
  endRssMb: number;
  endHeapUsedMb: number;
  maxRssMb: number;
  retainedHeapMb?: number;
}

/** One function process invoking the handler at each time; VmRSS polled from here too. */
async function functionProcess(
  script: string,
  env: Record<string, string>,
  times: string[],
  label: string,
): Promise<{ invocations: Invocation[]; polledPeakMb: number; loadedRssMb: number }> {
  const flags = ["--enable-source-maps", "--max-semi-space-size=32"]; // NODE_OPTIONS, as deployed
  if (values.memory !== undefined)
    flags.push(`--max-old-space-size=${Math.floor(Number(values.memory) * 0.9)}`);
  const heapProf = values["heap-prof"];
  if (heapProf !== undefined) {
    await mkdir(heapProf, { recursive: true });
    flags.push(
      "--heap-prof",
      "--heap-prof-dir",
      resolve(heapProf),
      "--heap-prof-name",
      `${label}.heapprofile`,
    );
  }
  const snapshots = values["heap-snapshot"];
  const extraEnv: Record<string, string> = {};
  if (values.retained || snapshots !== undefined) flags.push("--expose-gc");
  if (snapshots !== undefined) {
    extraEnv.BENCH_HEAP_SNAPSHOT_DIR = resolve(snapshots, label);
    await mkdir(extraEnv.BENCH_HEAP_SNAPSHOT_DIR, { recursive: true });
  }
  const child = spawn(process.execPath, [...flags, script], {
    cwd: root,
    env: { ...process.env, ...env, ...extraEnv, BENCH_RUN_TIMES: times.join(",") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let polledPeakMb = 0;
  const poll = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, "utf8")
      .then((status) => {
        const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
        if (kb !== undefined) polledPeakMb = Math.max(polledPeakMb, Math.round(Number(kb) / 1024));
      })
      .catch(() => {});
  }, 100);
  const invocations: Invocation[] = [];
  let loadedRssMb = Number.NaN;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (!line.startsWith("{")) continue;
    const parsed = JSON.parse(line) as Invocation & { loaded?: boolean; rssMb?: number };
    if (parsed.loaded === true) loadedRssMb = parsed.rssMb ?? Number.NaN;
    else invocations.push(parsed);
  }
  const code = await new Promise<number | null>((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.on("close", done);
  });
  clearInterval(poll);
  if (code !== 0 || invocations.length !== times.length)
    throw new Error(`the function's process (${label}) failed: exit ${code}`);
  return { invocations, polledPeakMb, loadedRssMb };
}

function describe(label: string, i: Invocation): string {
  const r = i.response;
  return (
    `${label} ${i.time}: ${(i.ms / 1000).toFixed(2)} s, peak RSS ${i.peakRssMb} MB (maxRSS so far ` +
    `${i.maxRssMb} MB), peak heap used ${i.peakHeapUsedMb} MB / total ${i.peakHeapTotalMb} MB, ` +
    `external ${i.peakExternalMb} MB; at the end RSS ${i.endRssMb} MB, heap ${i.endHeapUsedMb} MB` +
    `${i.retainedHeapMb === undefined ? "" : ` (${i.retainedHeapMb} MB after a full GC)`}; ` +
    `hostnames ${r.hostnames}, answered ${r.answered}, committed ${r.committed}`
  );
}

/** Scheduled times one interval apart, the last one the current interval. */
function scheduleTimes(count: number): string[] {
  const current = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS;
  return Array.from({ length: count }, (_, i) =>
    new Date(current - (count - 1 - i) * INTERVAL_MS).toISOString(),
  );
}

const dir = await mkdtemp(join(tmpdir(), `driftwatch-lambda-memory-${hosts}-`));
const estate = generateEstate({ hosts, seed: Number(values.seed) });
for (const file of estateFiles(estate)) await writeFile(join(dir, file.name), file.text);
const dns = await startDns(dir);
const fakes = await startFakes(join(dir, ESTATE_FILES.catalogue));
try {
  const script = await bundle(dir);
  const env: Record<string, string> = {
    BENCH_ENDPOINTS: JSON.stringify(fakes.info),
    BENCH_TIMEOUT_MS: "900000",
    DRIFTWATCH_TABLE_NAME: fakes.info.tableName,
    DRIFTWATCH_BUCKET_NAME: fakes.info.bucketName,
    DRIFTWATCH_CATALOGUE_ID: fakes.info.catalogueId,
    DRIFTWATCH_DNS_SERVERS: dns.address,
    // The warm-up commits the NXDOMAIN names' events: the later runs are steady state.
    DRIFTWATCH_FAILURE_THRESHOLD: "1",
    POWERTOOLS_LOG_LEVEL: "WARN",
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: values.memory ?? "256",
  };
  const times = scheduleTimes(runs + 1);
  log(
    `${hosts} generated hostnames; the function's bundle alone in its process` +
      `${values.memory === undefined ? "" : ` (--max-old-space-size ${Math.floor(Number(values.memory) * 0.9)})`}; ` +
      "dynalite + fauxqs in another",
  );
  const first = await functionProcess(script, env, times.slice(0, 1), "first");
  log(`function process 1 after module load: RSS ${first.loadedRssMb} MB`);
  for (const i of first.invocations) log(describe("first run", i));
  log(`  polled VmRSS peak of process 1: ${first.polledPeakMb} MB`);
  const steady = await functionProcess(script, env, times.slice(1), "steady");
  log(`function process 2 after module load: RSS ${steady.loadedRssMb} MB`);
  for (const [n, i] of steady.invocations.entries())
    log(describe(`steady ${n + 1}${n === 0 ? " (cold)" : " (warm)"}`, i));
  log(`  polled VmRSS peak of process 2: ${steady.polledPeakMb} MB`);
} finally {
  fakes.child.stdin?.end();
  await new Promise((done) => fakes.child.on("close", done));
  await dns.stop();
  await rm(dir, { recursive: true, force: true });
}
