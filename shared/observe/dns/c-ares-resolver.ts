import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import type { ResolutionOutcome, ResolverAnswer } from "#shared/domain/observation";
import { mostTellingOutcome } from "#shared/observe/dns/observation-window";
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

type QueryResult<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: ResolutionOutcome; detail: string };

export function createCaresResolver(options: CaresResolverOptions): DnsResolver {
  const clock = options.clock ?? Date.now;
  const maxCnameHops = options.maxCnameHops ?? 8;
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

  async function query<T>(
    label: string,
    deadline: number,
    run: () => Promise<T>,
  ): Promise<QueryResult<T>> {
    const remaining = deadline - clock();
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
            ? `${label} ETIMEOUT after ${options.tries} tries from ${options.timeoutMs} ms`
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

  async function walkCnames(channel: dns.Resolver, hostname: string, deadline: number) {
    const chain: string[] = [];
    let name = hostname;
    for (let hop = 0; hop < maxCnameHops; hop++) {
      const result = await query("CNAME", deadline, () => channel.resolveCname(name));
      const target = result.ok ? result.value[0]?.toLowerCase().replace(/\.$/, "") : undefined;
      if (target === undefined || target === hostname || chain.includes(target)) break;
      chain.push(target);
      name = target;
    }
    return chain;
  }

  return {
    servers: [...options.servers],
    async lookup(request: LookupRequest): Promise<ResolverAnswer> {
      const channel = channels.get(request.server);
      if (channel === undefined) {
        throw new RangeError(`${request.server} is not a configured DNS server`);
      }
      if (clock() >= request.deadline) return deadlineAnswer(request.server);
      const [a, aaaa, cnameChain] = await Promise.all([
        query("A", request.deadline, () => channel.resolve4(request.hostname, { ttl: true })),
        query("AAAA", request.deadline, () => channel.resolve6(request.hostname, { ttl: true })),
        request.walkCnames
          ? walkCnames(channel, request.hostname, request.deadline)
          : Promise.resolve([]),
      ]);
      const families = {
        a: a.ok ? (a.value.length > 0 ? "answered" : "nodata") : a.outcome,
        aaaa: aaaa.ok ? (aaaa.value.length > 0 ? "answered" : "nodata") : aaaa.outcome,
      } satisfies ResolverAnswer["families"];
      const details = [a, aaaa].flatMap((result) =>
        !result.ok && result.outcome !== "nodata" ? [result.detail] : [],
      );
      const deadlineOnly = details.length > 0 && details.every((d) => d === RUN_DEADLINE);
      return {
        resolver: request.server,
        outcome: mostTellingOutcome([families.a, families.aaaa]),
        cnameChain,
        a: a.ok ? a.value.map((record) => ({ ip: record.address, ttl: record.ttl })) : [],
        aaaa: aaaa.ok ? aaaa.value.map((record) => ({ ip: record.address, ttl: record.ttl })) : [],
        families,
        ...(details.length > 0 ? { detail: deadlineOnly ? RUN_DEADLINE : details.join("; ") } : {}),
      };
    },
    close() {
      for (const channel of channels.values()) channel.cancel();
    },
  };
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
