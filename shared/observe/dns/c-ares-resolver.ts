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

  /**
   * Follows the CNAME chain one hop per query. `broken` says why the chain cannot hold addresses:
   * it loops, it is longer than `maxCnameHops`, or its last name does not exist. A resolver that
   * answers such a name with NOERROR and no address (c-ares: NODATA) is not reporting an absence.
   */
  async function walkCnames(channel: dns.Resolver, hostname: string, deadline: number) {
    const chain: string[] = [];
    let name = hostname;
    const path = () => [hostname, ...chain].join(" → ");
    for (let hop = 0; hop <= maxCnameHops; hop++) {
      const result = await query("CNAME", deadline, () => channel.resolveCname(name));
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

  return {
    servers: [...options.servers],
    async lookup(request: LookupRequest): Promise<ResolverAnswer> {
      const channel = channels.get(request.server);
      if (channel === undefined) {
        throw new RangeError(`${request.server} is not a configured DNS server`);
      }
      if (clock() >= request.deadline) return deadlineAnswer(request.server);
      const [a, aaaa, walked] = await Promise.all([
        query("A", request.deadline, () => channel.resolve4(request.hostname, { ttl: true })),
        query("AAAA", request.deadline, () => channel.resolve6(request.hostname, { ttl: true })),
        request.walkCnames
          ? walkCnames(channel, request.hostname, request.deadline)
          : Promise.resolve({ chain: [], broken: undefined }),
      ]);
      const { chain: cnameChain, broken } = walked;
      const details = [a, aaaa].flatMap((result) =>
        !result.ok && result.outcome !== "nodata" ? [result.detail] : [],
      );
      const inconsistentFrom = details.length;
      // NODATA is an authoritative absence only when the chain can hold addresses and its last
      // name has none of that family either (a CNAME to a name with only AAAA is a real
      // A-NODATA). A loop, or a last name that does have addresses, is a resolver fault.
      const familyOutcome = async (
        result: typeof a,
        label: "A" | "AAAA",
      ): Promise<ResolutionOutcome> => {
        const outcome = result.ok
          ? result.value.length > 0
            ? "answered"
            : "nodata"
          : result.outcome;
        if (outcome !== "nodata") return outcome;
        if (broken !== undefined) return "error";
        const last = cnameChain.at(-1);
        if (last === undefined) return outcome;
        const confirmed = await query(label, request.deadline, () =>
          label === "A" ? channel.resolve4(last) : channel.resolve6(last),
        );
        if (confirmed.ok && confirmed.value.length === 0) return outcome;
        if (!confirmed.ok && confirmed.outcome === "nodata") return outcome;
        details.push(
          confirmed.ok
            ? `${label} NODATA for ${request.hostname}, but the end of its CNAME chain, ${last}, ` +
                `has ${label} records`
            : `${label} NODATA for ${request.hostname} not confirmed at the end of its CNAME ` +
                `chain: ${last} ${confirmed.detail}`,
        );
        return "error";
      };
      const [outcomeA, outcomeAaaa] = await Promise.all([
        familyOutcome(a, "A"),
        familyOutcome(aaaa, "AAAA"),
      ]);
      // A resolver shown wrong about one family of a name is not believed about the other.
      const faulty = details.length > inconsistentFrom;
      const believed = (outcome: ResolutionOutcome) =>
        faulty && outcome === "nodata" ? "error" : outcome;
      const families = {
        a: believed(outcomeA),
        aaaa: believed(outcomeAaaa),
      } satisfies ResolverAnswer["families"];
      if (broken !== undefined && (families.a === "error" || families.aaaa === "error")) {
        details.push(broken);
      }
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
