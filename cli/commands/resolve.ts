import {
  heldResolver,
  InterruptedError,
  type Interruption,
  interruptedLine,
  NEVER_INTERRUPTED,
} from "#cli/interrupt";
import type { CommandOutput } from "#cli/options";
import { createProgress } from "#cli/progress";
import { openRuntime } from "#cli/runtime";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { HostObservation } from "#shared/domain/observation";
import { createCaresResolver, systemDnsServers } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_DNS_TRIES } from "#shared/observe/dns/config";
import {
  type ResolveHostnamesResult,
  resolveHostnames,
} from "#shared/observe/dns/resolve-hostnames";

export interface ResolveCommandOptions {
  /** Resolvers as given (`host[:port]`); the OS-configured ones when empty. */
  dnsServer: string[];
  samples: number;
  timeoutMs: number;
  /** Seconds after which nothing more is asked (the run deadline). */
  deadline: number;
  stateDir: string;
  catalogue: string;
  /** Serve this zone file on loopback for the run and ask it (the demo, trying things out). */
  zone?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * Returns the exit code: 0 when the run was recorded, 1 when no hostname could be resolved, 130 or
 * 143 when `interruption` reports SIGINT or SIGTERM (the run abandoned, the store closed).
 */
export async function runResolveCommand(
  options: ResolveCommandOptions,
  output: CommandOutput,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
  interruption: Interruption = NEVER_INTERRUPTED,
): Promise<number> {
  const catalogue = await loadCatalogueFile(options.catalogue);
  const zone =
    options.zone !== undefined ? await startZoneDnsServer({ zoneFile: options.zone }) : null;
  const servers = [...options.dnsServer, ...(zone !== null ? [zone.address] : [])];
  if (servers.length === 0) servers.push(...systemDnsServers());
  const resolver = createCaresResolver({
    servers,
    timeoutMs: options.timeoutMs,
    tries: DEFAULT_DNS_TRIES,
  });
  const progress = createProgress(process.stderr, !options.json && !options.quiet);
  let result: ResolveHostnamesResult;
  const runtime = await openRuntime({ stateDir: options.stateDir, env }).catch(async (error) => {
    resolver.close();
    await zone?.stop();
    throw error;
  });
  try {
    interruption.throwIfInterrupted();
    const started = now();
    const store = createDynamoObservationStore({
      documents: runtime.clients.documents,
      tableName: runtime.tableName,
    });
    const run = resolveHostnames(
      { resolver: heldResolver(resolver, interruption), store },
      {
        targets: catalogue,
        runId: `manual-${started.toISOString()}`,
        now: started,
        deadline: started.getTime() + options.deadline * 1000,
        options: { samples: options.samples },
        onProgress: (done, total) => progress.update(`resolving ${done}/${total} hostnames`),
      },
    );
    result = await interruption.race(run);
    // The run is saved: the next cycle's backlog judge may take it up at once.
    await store.releaseRunLease(result.lease);
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    progress.done();
    output.stderr(interruptedLine("resolve"));
    return error.exitCode;
  } finally {
    progress.done();
    resolver.close();
    await runtime.close();
    await zone?.stop();
  }
  output.stdout(
    options.json
      ? `${JSON.stringify({ runId: result.runId, durationMs: result.durationMs, servers, observations: result.observations }, null, 2)}\n`
      : formatResolveReport(result, servers),
  );
  return result.observations.some((o) => o.consecutiveFailures === 0) ? 0 : 1;
}

/** The run for people: a summary line, then one line per hostname with its outcome and IPs. */
export function formatResolveReport(result: ResolveHostnamesResult, servers: string[]): string {
  const observations = result.observations;
  const answered = observations.filter((o) => o.consecutiveFailures === 0).length;
  const lines = [
    `run ${result.runId}: ${observations.length} hostnames, ${answered} resolved, ${observations.length - answered} failing, via ${servers.join(", ")} in ${result.durationMs} ms`,
    "",
  ];
  const width = Math.max(...observations.map((o) => o.hostname.length), 8) + 2;
  for (const observation of observations) {
    lines.push(`${observation.hostname.padEnd(width)}${describe(observation)}`);
  }
  const suspicious = observations.flatMap((o) =>
    o.suspicious.map((s) => `  ${o.hostname}: ${s.ip} (${s.range}) from ${s.resolver}`),
  );
  if (suspicious.length > 0) {
    lines.push("", "suspicious answers (never added to the observed set):", ...suspicious);
  }
  return `${lines.join("\n")}\n`;
}

function describe(observation: HostObservation): string {
  const entered = new Set(observation.entered);
  const ips = observation.active.map((ip) => (entered.has(ip.ip) ? `+${ip.ip}` : ip.ip));
  const left = observation.left.map((ip) => `-${ip.ip}`);
  const failure =
    observation.consecutiveFailures > 0
      ? ` (${observation.consecutiveFailures} failed run${observation.consecutiveFailures > 1 ? "s" : ""}${detailOf(observation)})`
      : "";
  return `${observation.outcome.padEnd(10)}${[...ips, ...left].join(" ")}${failure}`.trimEnd();
}

function detailOf(observation: HostObservation): string {
  const details = [...new Set(observation.answers.flatMap((a) => (a.detail ? [a.detail] : [])))];
  if (details.length === 0 && observation.suspicious.length > 0) {
    return ": only suspicious answers";
  }
  return details.length > 0 ? `: ${details.join("; ")}` : "";
}
