/**
 * Recovery and feed-change paths at scale: what a deployment pays when a run dies while saving,
 * and when a feed change is judged over every hostname's current state.
 *
 *   npx tsx bench/recovery.bench.ts [--hosts 10000] [--seed 1]
 *
 * On a generated estate (`driftwatch catalogue generate`) served by NSD on loopback:
 * 1. two `driftwatch detect` runs (the first writes every hostname, the second confirms them),
 *    then a steady one, whose phase times place the kill;
 * 2. the current state of every hostname read twice, each in its own process against the state
 *    directory: one query per hostname (`latestObservations`, what the audit API answers) and in
 *    batches (`previousObservations` at `AFTER_EVERY_RUN`, what a feed change is judged over);
 * 3. a detect killed (SIGKILL) just after its last DNS answer, while it saves, and the next
 *    detect: the time it takes to judge the killed run (`backlog judged`), the whole run, its
 *    queries and its peak RSS.
 *
 * The kill lands at the steady run's "last dns answer" + 150 ms; the report says whether the
 * run it killed was left for the next one to judge (it was when the backlog made BatchGet calls).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateEstate } from "#shared/catalogue/generate/generate-estate";
import { ESTATE_FILES, estateFiles } from "#shared/catalogue/generate/zone-files";
import {
  type DetectProfileLine,
  type DetectRunResult,
  detectArgs,
  detectRun,
} from "./scale/detect-run";
import { ensureNsd, startNsd } from "./scale/nsd-server";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    // Internal: one current-state read in this process (step 2).
    child: { type: "string" },
    dir: { type: "string" },
  },
});
const root = resolve(import.meta.dirname, "..");
const log = (line: string) => console.log(line);

/** Step 2 in a child process: read every hostname's current state one way, print the cost. */
async function currentStateChild(mode: string, dir: string): Promise<void> {
  const { createDynamoObservationStore } = await import(
    "#shared/adapters/dynamodb/observation-store"
  );
  const { AFTER_EVERY_RUN } = await import("#shared/observe/dns/observation-store");
  const { openRuntime } = await import("#cli/runtime");
  const { detectProfile, PROFILE_PREFIX } = await import("#cli/detect-profile");
  const { parseCatalogue } = await import("#shared/catalogue/load");
  const { resolvableHostnames } = await import("#shared/catalogue/schema");
  const path = join(dir, ESTATE_FILES.catalogue);
  const hostnames = resolvableHostnames(
    parseCatalogue(JSON.parse(await readFile(path, "utf8")), path),
  );
  const runtime = await openRuntime({ stateDir: join(dir, "state"), env: {} });
  const store = createDynamoObservationStore({
    documents: runtime.clients.documents,
    tableName: runtime.tableName,
  });
  // The detect profile's counter of AWS calls (cli/detect-profile.ts), from here on.
  const profile = detectProfile({ DRIFTWATCH_PROFILE: "1" });
  profile.countAwsCalls(runtime.clients);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const found =
    mode === "latest"
      ? await store.latestObservations(hostnames)
      : await store.previousObservations(hostnames, AFTER_EVERY_RUN);
  const ms = performance.now() - started;
  const counted = JSON.parse(profile.report().slice(PROFILE_PREFIX.length)) as DetectProfileLine;
  const line = {
    mode,
    hostnames: hostnames.length,
    found: found.size,
    ms: Math.round(ms),
    queries: counted.aws.operations.dynamodb?.QueryCommand?.calls ?? 0,
    rssGrowthMb: Math.round((process.memoryUsage().rss - rssBefore) / 1_048_576),
    maxRssMb: counted.maxRssMb,
  };
  await runtime.close();
  console.log(JSON.stringify(line));
}

async function currentState(mode: "latest" | "batched", dir: string) {
  const child = spawn(
    process.execPath,
    ["--no-warnings", "--import", "tsx", import.meta.filename, "--child", mode, "--dir", dir],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((done) => child.on("close", done));
  const last = out.trim().split("\n").at(-1) ?? "";
  if (code !== 0) throw new Error(`current-state read (${mode}) failed, exit ${code}: ${out}`);
  return JSON.parse(last) as Record<string, number | string>;
}

/** A detect killed (SIGKILL) `afterMs` after it started. */
async function killedDetect(args: readonly string[], afterMs: number): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: "ignore" });
  const timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
  await new Promise((done) => child.on("close", done));
  clearTimeout(timer);
}

function summary(label: string, run: DetectRunResult): string {
  const p = run.profile.phases;
  const s = (ms: number | undefined) => `${((ms ?? Number.NaN) / 1000).toFixed(2)} s`;
  const backlog = (p["backlog judged"] ?? Number.NaN) - (p["store opened"] ?? Number.NaN);
  const ops = run.profile.aws.operations.dynamodb ?? {};
  const calls = (op: string) => ops[op]?.calls ?? 0;
  return (
    `${label}: wall ${s(run.wallMs)}, backlog judged in ${s(backlog)}, first DNS lookup at ` +
    `${s(p["first dns lookup"])}, peak RSS ${run.profile.maxRssMb} MB; DynamoDB Query ` +
    `${calls("QueryCommand")}, BatchGetItem ${calls("BatchGetItemCommand")}\n    calls after ` +
    `each phase: ${JSON.stringify(run.profile.aws.byPhase ?? {})}`
  );
}

async function main(): Promise<void> {
  const hosts = Number(values.hosts);
  const dir = await mkdtemp(join(tmpdir(), `driftwatch-recovery-${hosts}-`));
  const estate = generateEstate({ hosts, seed: Number(values.seed) });
  for (const file of estateFiles(estate)) await writeFile(join(dir, file.name), file.text);
  const unavailable = await ensureNsd(log);
  if (unavailable !== null) throw new Error(`NSD is needed for this bench: ${unavailable}`);
  const nsd = await startNsd(dir, join(dir, ESTATE_FILES.nsdZone));
  try {
    const args = detectArgs(root, dir, nsd.address);
    log(`## ${hosts} hostnames (seed ${values.seed}), NSD at ${nsd.address}`);
    await detectRun({ cwd: root, args });
    await detectRun({ cwd: root, args });
    const steady = await detectRun({ cwd: root, args });
    log(summary("steady", steady));

    for (const mode of ["latest", "batched", "latest", "batched"] as const) {
      log(`current state, ${mode}: ${JSON.stringify(await currentState(mode, dir))}`);
    }

    const killAt = (steady.profile.phases["last dns answer"] ?? 4000) + 150;
    await killedDetect(args, killAt);
    const next = await detectRun({ cwd: root, args });
    const leftUnjudged =
      "dynamodb.BatchGetItem" in (next.profile.aws.byPhase?.["store opened"] ?? {});
    log(`killed a detect at ${(killAt / 1000).toFixed(2)} s (SIGKILL)`);
    log(summary(`the next detect (killed run left unjudged: ${leftUnjudged})`, next));
    log(summary("the one after", await detectRun({ cwd: root, args })));
  } finally {
    await nsd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.child !== undefined && values.dir !== undefined) {
  await currentStateChild(values.child, values.dir);
  process.exit(0);
} else {
  await main();
}
