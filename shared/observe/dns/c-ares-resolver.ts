import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import type { ResolutionOutcome, ResolverAnswer } from "#shared/domain/observation";
import {
  type CnameWalk,
  caresAnswer,
  needsChainConfirmation,
  type QueryResult,
} from "#shared/observe/dns/c-ares-answer";
import {
  type DnsResolver,
  deadlineAnswer,
  type LookupRequest,
  RUN_DEADLINE,
} from "#shared/observe/dns/resolver";

/**
 * The DNS adapter on Node's c-ares resolver (`dns.promises.Resolver`): no OS cache, no libuv
 * threadpool, real response codes. One c-ares channel per configured server, so every answer is
 * attributed to the server that gave it.
 */
export interface CaresResolverOptions {
  /** `host`, `host:port`, `[v6]` or `[v6]:port`. */
  servers: readonly string[];
  /** c-ares initial per-try timeout, in ms (c-ares doubles it on each try). */
  timeoutMs: number;
  /** c-ares tries per query before ETIMEOUT. */
  tries: number;
  /** CNAME hops followed at most (default 8). */
  maxCnameHops?: number;
  /** Epoch-ms clock for the deadline (tests). */
  clock?: () => number;
}

/** The per-try timeout and tries unless configured (`DRIFTWATCH_DNS_*`, `--timeout-ms`). */
export const DEFAULT_DNS_TIMEOUT_MS = 2_000;
export const DEFAULT_DNS_TRIES = 2;

export class DnsResolverConfigError extends Error {
  override name = "DnsResolverConfigError";
}

/** c-ares error codes as outcomes; anything else is an `error` with the code in the detail. */
const OUTCOME_BY_CODE: Record<string, ResolutionOutcome> = {
  ENOTFOUND: "nxdomain",
  ENODATA: "nodata",
  ESERVFAIL: "servfail",
  EREFUSED: "refused",
  ETIMEOUT: "timeout",
};

export function outcomeForCode(code: string | undefined): ResolutionOutcome {
  return (code !== undefined ? OUTCOME_BY_CODE[code] : undefined) ?? "error";
}

/** What a query needs to know about the resolver: its clock and c-ares retry settings. */
interface QueryContext {
  clock: () => number;
  timeoutMs: number;
  tries: number;
}

export function createCaresResolver(options: CaresResolverOptions): DnsResolver {
  const context: QueryContext = {
    clock: options.clock ?? Date.now,
    timeoutMs: options.timeoutMs,
    tries: options.tries,
  };
  const maxCnameHops = options.maxCnameHops ?? 8;
  const channels = openChannels(options);

  return {
    servers: [...options.servers],
    async lookup(request: LookupRequest): Promise<ResolverAnswer> {
      const channel = channels.get(request.server);
      if (channel === undefined) {
        throw new RangeError(`${request.server} is not a configured DNS server`);
      }
      if (context.clock() >= request.deadline) return deadlineAnswer(request.server);
      const ask = <T>(label: string, run: () => Promise<T>) =>
        query(context, label, request.deadline, run);
      const [a, aaaa, walk] = await Promise.all([
        ask("A", () => channel.resolve4(request.hostname, { ttl: true })),
        ask("AAAA", () => channel.resolve6(request.hostname, { ttl: true })),
        request.walkCnames
          ? walkCnames(context, channel, request.hostname, request.deadline, maxCnameHops)
          : Promise.resolve({ chain: [], broken: undefined }),
      ]);
      // A family's NODATA is asked again of the chain's last name before it is believed.
      const last = walk.chain.at(-1) ?? request.hostname;
      const [confirmedA, confirmedAaaa] = await Promise.all([
        needsChainConfirmation(a, walk) ? ask("A", () => channel.resolve4(last)) : undefined,
        needsChainConfirmation(aaaa, walk) ? ask("AAAA", () => channel.resolve6(last)) : undefined,
      ]);
      return caresAnswer({
        hostname: request.hostname,
        server: request.server,
        a,
        aaaa,
        walk,
        confirmed: { a: confirmedA, aaaa: confirmedAaaa },
      });
    },
    close() {
      for (const channel of channels.values()) channel.cancel();
    },
  };
}

/** One c-ares channel per configured server, so every answer is attributed to its server. */
function openChannels(options: CaresResolverOptions): Map<string, dns.Resolver> {
  if (options.servers.length === 0) throw new DnsResolverConfigError("no DNS server configured");
  const channels = new Map<string, dns.Resolver>();
  for (const server of options.servers) {
    const channel = new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
    try {
      channel.setServers([server]);
    } catch (error) {
      throw new DnsResolverConfigError(`invalid DNS server ${JSON.stringify(server)}`, {
        cause: error,
      });
    }
    channels.set(server, channel);
  }
  return channels;
}

/** One query, given up at the run's deadline (a `timeout` with the detail "run deadline"). */
async function query<T>(
  context: QueryContext,
  label: string,
  deadline: number,
  run: () => Promise<T>,
): Promise<QueryResult<T>> {
  const remaining = deadline - context.clock();
  if (remaining <= 0) return { ok: false, outcome: "timeout", detail: RUN_DEADLINE };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<QueryResult<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, outcome: "timeout", detail: RUN_DEADLINE }),
      remaining,
    );
  });
  const asked = run().then(
    (value): QueryResult<T> => ({ ok: true, value }),
    (error: NodeJS.ErrnoException): QueryResult<T> => {
      const outcome = outcomeForCode(error.code);
      const detail =
        outcome === "timeout"
          ? `${label} ETIMEOUT after ${context.tries} tries from ${context.timeoutMs} ms`
          : `${label} ${error.code ?? "error"}${outcome === "error" ? `: ${error.message}` : ""}`;
      return { ok: false, outcome, detail };
    },
  );
  try {
    return await Promise.race([asked, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Follows the CNAME chain one hop per query. `broken` says why the chain cannot hold addresses:
 * it loops, it is longer than `maxCnameHops`, or its last name does not exist. A resolver that
 * answers such a name with NOERROR and no address (c-ares: NODATA) is not reporting an absence.
 */
async function walkCnames(
  context: QueryContext,
  channel: dns.Resolver,
  hostname: string,
  deadline: number,
  maxCnameHops: number,
): Promise<CnameWalk> {
  const chain: string[] = [];
  let name = hostname;
  const path = () => [hostname, ...chain].join(" → ");
  for (let hop = 0; hop <= maxCnameHops; hop++) {
    const result = await query(context, "CNAME", deadline, () => channel.resolveCname(name));
    if (!result.ok) {
      const broken =
        chain.length > 0 && result.outcome === "nxdomain"
          ? `CNAME chain leads nowhere: ${path()} (${name}: NXDOMAIN)`
          : undefined;
      return { chain, broken };
    }
    const target = result.value[0]?.toLowerCase().replace(/\.$/, "");
    if (target === undefined) return { chain, broken: undefined };
    if (target === hostname || chain.includes(target)) {
      return { chain, broken: `CNAME loop: ${path()} → ${target}` };
    }
    if (hop === maxCnameHops) {
      return { chain, broken: `CNAME chain longer than ${maxCnameHops} hops: ${path()} → …` };
    }
    chain.push(target);
    name = target;
  }
  return { chain, broken: undefined };
}

/**
 * Parses one resolver address: `1.1.1.1`, `1.1.1.1:5353`, `2606:4700::1111`,
 * `[2606:4700::1111]:53`. Returns it with its port (`1.1.1.1:53`, `[2606:4700::1111]:53`), the
 * form c-ares accepts and answers are attributed to. Throws a RangeError when malformed.
 */
export function parseDnsServer(value: string): string {
  const text = value.trim();
  let host: string;
  let port = "53";
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1] as string;
    port = bracketed[2] ?? port;
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const [address, portText, ...rest] = text.split(":");
    if (rest.length > 0 || address === undefined) throw new RangeError(`${value}: not host[:port]`);
    host = address;
    port = portText ?? port;
  }
  if (isIP(host) === 0) throw new RangeError(`${value}: the host must be an IP address`);
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber < 1 || portNumber > 65535) {
    throw new RangeError(`${value}: port must be 1-65535`);
  }
  return isIP(host) === 6 ? `[${host}]:${portNumber}` : `${host}:${portNumber}`;
}

/** The resolvers the operating system is configured with (resolv.conf), as `host:port`. */
export function systemDnsServers(): string[] {
  return [...new Set(new dns.Resolver().getServers().map(parseDnsServer))];
}
