/**
 * Scale: a steady-state `driftwatch detect` of a generated estate of N hostnames
 * (`driftwatch catalogue generate`) against NSD on loopback, with raw c-ares against the same
 * server right after each steady run, and the AWS calls of a steady-state run and of a run with one changed
 * host. Each detect is a new process, as a user runs it, with `DRIFTWATCH_PROFILE=1`
 * (cli/detect-profile.ts) for the phase times, the AWS calls and the peak RSS.
 *
 *   npx tsx bench/scale.bench.ts [--hosts 1000,3000,10000] [--runs 3] [--seed 1]
 *     [--dns nsd|loopback] [--cpu-prof DIR] [--live-heap] [--json FILE]
 *
 * --cpu-prof: one more steady-state run under `node --cpu-prof` (bench/scale/cpu-profile-summary.ts
 * reads the profile); --live-heap: one more under `node --expose-gc`, so the profile line's heap at
 * each phase is what is still reachable there.
 *
 * NSD is installed with `apt-get install -y nsd` when missing; when that fails the bench serves
 * the zone from the project's loopback server instead (in this process) and says so.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { type GeneratedEstate, generateEstate } from "#shared/catalogue/generate/generate-estate";
import { ESTATE_FILES, estateFiles } from "#shared/catalogue/generate/zone-files";
import { resolvableHostnames } from "#shared/catalogue/schema";
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES } from "#shared/observe/dns/config";
import { type DetectRunResult, detectArgs, detectRun } from "./scale/detect-run";
import { ensureNsd, startNsd } from "./scale/nsd-server";
import { type RawCaresResult, rawCares } from "./scale/raw-cares";
import { changeOneHost, type DnsUnderTest, waitForAnswer } from "./scale/zone-change";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    dns: { type: "string", default: "nsd" },
    "cpu-prof": { type: "string" },
    "live-heap": { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const sizes = values.hosts.split(",").map(Number);
const runs = Number(values.runs);
const seed = Number(values.seed);
const root = resolve(import.meta.dirname, "..");
const log = (line: string) => console.log(line);

/** What one detect run shows, in the units of the report. */
interface RunRow {
  label: string;
  wallMs: number;
  maxRssMb: number;
  startupMs: number;
  beforeFirstQueryMs: number;
  dnsMs: number;
  afterLastAnswerMs: number;
  hostsPerSecond: number;
  queries: number;
  queriesPerSecond: number;
  aws: DetectRunResult["profile"]["aws"];
  exit: number | null;
  events: number;
  newEvents: number;
  /** VmRSS (MB) when each phase was reached, from the 100 ms poll. */
  rssAtPhase: Record<string, number>;
  memory: DetectRunResult["profile"]["memory"];
  phases: Record<string, number>;
}

/** The RSS sample nearest after each phase's time (ms since the process started). */
function rssAtPhases(run: DetectRunResult): Record<string, number> {
  const at: Record<string, number> = {};
  for (const [phase, ms] of Object.entries(run.profile.phases)) {
    const sample = run.rss.find(([t]) => t >= ms) ?? run.rss.at(-1);
    if (sample !== undefined) at[phase] = sample[1];
  }
  return at;
}

function phasesText(row: RunRow): string {
  return Object.entries(row.phases)
    .map(([phase, ms]) => {
      const calls = Object.entries(row.aws.byPhase?.[phase] ?? {})
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");
      return `${phase} ${(ms / 1000).toFixed(2)}${calls === "" ? "" : ` [${calls}]`}`;
    })
    .join(", ");
}

/** `Operation calls[/items]` of each client, for the report. */
function operationsText(aws: RunRow["aws"]): string {
  return Object.entries(aws.operations)
    .filter(([, ops]) => Object.keys(ops).length > 0)
    .map(
      ([service, ops]) =>
        `${service}: ${Object.entries(ops)
          .map(
            ([op, n]) =>
              `${op.replace(/Command$/, "")} ${n.calls}${n.items > 0 ? `/${n.items} items` : ""}`,
          )
          .join(", ")}`,
    )
    .join("; ");
}

function rowOf(label: string, hosts: number, run: DetectRunResult, queries: number): RunRow {
  const p = run.profile.phases;
  const first = p["first dns lookup"] ?? Number.NaN;
  const last = p["last dns answer"] ?? Number.NaN;
  return {
    label,
    wallMs: run.wallMs,
    maxRssMb: run.profile.maxRssMb,
    startupMs: p["command started"] ?? Number.NaN,
    beforeFirstQueryMs: first,
    dnsMs: last - first,
    afterLastAnswerMs: run.wallMs - last,
    hostsPerSecond: (hosts / run.wallMs) * 1000,
    queries,
    queriesPerSecond: (queries / (last - first)) * 1000,
    aws: run.profile.aws,
    exit: run.code,
    events: run.summary.events ?? Number.NaN,
    newEvents: run.summary.newEvents ?? Number.NaN,
    rssAtPhase: rssAtPhases(run),
    memory: run.profile.memory,
    phases: run.profile.phases,
  };
}

function describeRow(row: RunRow): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const { calls, writes } = row.aws;
  return (
    `${row.label}: wall ${s(row.wallMs)}, peak RSS ${row.maxRssMb} MB, start-up ${s(row.startupMs)}, ` +
    `before first query ${s(row.beforeFirstQueryMs)}, DNS ${s(row.dnsMs)} (${row.queries} queries, ` +
    `${Math.round(row.queriesPerSecond)} q/s), after last answer ${s(row.afterLastAnswerMs)}, ` +
    `${row.hostsPerSecond.toFixed(0)} hosts/s; AWS calls dynamodb ${calls.dynamodb}, s3 ${calls.s3}, ` +
    `sns ${calls.sns}, sqs ${calls.sqs}, items written ${writes}; exit ${row.exit}, ` +
    `${row.events} events (${row.newEvents} new)\n    AWS: ${operationsText(row.aws)}\n` +
    `    phases (s since process start) and the AWS calls after each: ${phasesText(row)}\n    RSS by phase (MB): ` +
    Object.entries(row.rssAtPhase)
      .map(([phase, mb]) => `${phase} ${mb}`)
      .join(", ") +
    (row.memory === undefined
      ? ""
      : `\n    RSS / V8 heap used / external by phase (MB): ${Object.entries(row.memory)
          .map(([phase, m]) => `${phase} ${m.rssMb}/${m.heapUsedMb}/${m.externalMb}`)
          .join(", ")}`)
  );
}

/** NSD on the estate's root zone, or the loopback server when NSD cannot be had. */
async function startDns(dir: string): Promise<DnsUnderTest> {
  const zoneFor = (name: string) => join(dir, name);
  if (values.dns === "nsd") {
    const unavailable = await ensureNsd(log);
    if (unavailable === null) {
      const nsd = await startNsd(dir, zoneFor(ESTATE_FILES.nsdZone));
      return { kind: "NSD 4 (Debian), root zone", zoneFile: zoneFor(ESTATE_FILES.nsdZone), ...nsd };
    }
    log(`NSD unavailable (${unavailable}): falling back to the project's loopback server`);
  }
  const server = await startZoneDnsServer({ zoneFile: zoneFor(ESTATE_FILES.loopbackZone) });
  let counted = 0;
  return {
    kind: "the project's loopback server (zone-dns-server.ts, in the bench process)",
    zoneFile: zoneFor(ESTATE_FILES.loopbackZone),
    address: server.address,
    async takeQueryCount() {
      const total = server.queryCount();
      const taken = total - counted;
      counted = total;
      return taken;
    },
    reload: async () => {},
    reloadText: (text: string) => server.reload(text),
    stop: () => server.stop(),
  };
}

interface SizeResult {
  hosts: number;
  dns: string;
  warmUp: RunRow;
  steady: RunRow[];
  profiled: RunRow | null;
  /** Raw c-ares right after each steady run, in order. */
  raw: RawCaresResult[];
  changed: RunRow;
}

async function benchSize(hosts: number): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), `driftwatch-scale-${hosts}-`));
  const estate = generateEstate({ hosts, seed });
  for (const file of estateFiles(estate)) await writeFile(join(dir, file.name), file.text);
  const dns = await startDns(dir);
  log(`\n## ${hosts} hostnames (seed ${seed}), DNS: ${dns.kind} at ${dns.address}`);
  try {
    const args = detectArgs(root, dir, dns.address);
    const timed = async (label: string, nodeFlags: string[] = []) => {
      const run = await detectRun({ cwd: root, args, nodeFlags });
      const row = rowOf(label, hosts, run, await dns.takeQueryCount());
      log(describeRow(row));
      return row;
    };
    const warmUp = await timed("warm-up (first run)");
    // The first run writes every hostname's history item; the next reads them back (one
    // BatchGetItem per 100) and confirms them. From then on a run reads its state from the last
    // run's confirmations: the steady state of a deployment, timed below.
    await timed("warm-up (second run: reads the first run's history items, confirms them)");
    // Raw c-ares against the same server right after each steady run: the DNS phase is compared
    // with the raw run beside it, so a machine busier at one moment slows both alike.
    const steady: RunRow[] = [];
    const raw: RawCaresResult[] = [];
    for (let i = 1; i <= runs; i++) {
      steady.push(await timed(`steady ${i}`));
      raw.push(await rawRun(estate, dns));
    }
    const profiled = await profiledRun(hosts, timed);
    if (values["live-heap"])
      await timed("steady, --expose-gc (live heap by phase)", ["--expose-gc"]);
    const changed = await changedRun(estate, dir, dns, timed);
    return { hosts, dns: dns.kind, warmUp, steady, profiled, raw, changed };
  } finally {
    await dns.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function profiledRun(
  hosts: number,
  timed: (label: string, flags?: string[]) => Promise<RunRow>,
): Promise<RunRow | null> {
  const cpuProf = values["cpu-prof"];
  if (cpuProf === undefined) return null;
  const out = resolve(cpuProf, `${hosts}`);
  await mkdir(out, { recursive: true });
  const flags = ["--cpu-prof", "--cpu-prof-dir", out, "--cpu-prof-interval", "1000"];
  const row = await timed(`steady, --cpu-prof (${out})`, flags);
  return row;
}

async function rawRun(estate: GeneratedEstate, dns: DnsUnderTest): Promise<RawCaresResult> {
  const raw = await rawCares({
    server: dns.address,
    hostnames: resolvableHostnames(estate.catalogue),
    samples: 3,
    concurrency: 16,
    timeoutMs: DEFAULT_DNS_TIMEOUT_MS,
    tries: DEFAULT_DNS_TRIES,
    walkCnames: true,
  });
  await dns.takeQueryCount();
  log(
    `raw c-ares (A + AAAA × 3 samples per name, the CNAME chain on the first, 16 lookups in flight): ` +
      `${raw.queries} queries in ` +
      `${(raw.ms / 1000).toFixed(2)} s, ${Math.round(raw.queriesPerSecond)} q/s`,
  );
  return raw;
}

async function changedRun(
  estate: GeneratedEstate,
  dir: string,
  dns: DnsUnderTest,
  timed: (label: string) => Promise<RunRow>,
): Promise<RunRow> {
  const change = await changeOneHost(estate, dir, dns);
  await waitForAnswer(dns.address, change.hostname, change.ip);
  await dns.takeQueryCount();
  return timed(`one host changed (${change.hostname} → ${change.ip})`);
}

const results: SizeResult[] = [];
for (const hosts of sizes) results.push(await benchSize(hosts));
summarise(results);
if (values.json !== undefined)
  await writeFile(values.json, `${JSON.stringify(results, null, 2)}\n`);

function summarise(all: SizeResult[]): void {
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? Number.NaN)
      : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  };
  log(
    "\n| hosts | wall (median) | peak RSS | before 1st query | DNS phase | after last answer | hosts/s | DNS q/s : raw c-ares | AWS calls steady (ddb/s3/sns) | items written steady / 1 changed |",
  );
  log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of all) {
    const m = (key: keyof RunRow) => median(r.steady.map((row) => row[key] as number));
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const last = r.steady.at(-1);
    const pairs = r.steady.map(
      (row, i) => row.queriesPerSecond / (r.raw[i]?.queriesPerSecond ?? 1),
    );
    const rawQps = median(r.raw.map((x) => x.queriesPerSecond));
    const calls = last
      ? `${last.aws.calls.dynamodb}/${last.aws.calls.s3}/${last.aws.calls.sns}`
      : "";
    log(
      `| ${r.hosts} | ${s(m("wallMs"))} | ${Math.max(...r.steady.map((x) => x.maxRssMb))} MB | ` +
        `${s(m("beforeFirstQueryMs"))} | ${s(m("dnsMs"))} | ${s(m("afterLastAnswerMs"))} | ` +
        `${m("hostsPerSecond").toFixed(0)} | ${Math.round(m("queriesPerSecond"))} : ${Math.round(rawQps)} ` +
        `(median of each run beside its raw run: ${(median(pairs) * 100).toFixed(0)}%; ` +
        `${pairs.map((x) => `${(x * 100).toFixed(0)}%`).join(", ")}) | ${calls} | ` +
        `${last?.aws.writes ?? ""} / ${r.changed.aws.writes} |`,
    );
  }
}
