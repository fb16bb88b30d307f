import { promises as dns } from "node:dns";

/**
 * Raw c-ares against the same server, for the DNS phase's ceiling: Node's `dns.promises.Resolver`
 * asking A and AAAA of every name `samples` times, `concurrency` lookups (each A + AAAA) in
 * flight, nothing else done with the answers. With `walkCnames`, the first lookup of each name
 * also follows its CNAME chain, one CNAME query per hop, as driftwatch's first lookup does: the
 * same query mix as the DNS phase (the bench compares queries per second).
 */
export interface RawCaresResult {
  queries: number;
  ms: number;
  queriesPerSecond: number;
  /** Lookups whose A or AAAA answered with an address. */
  answered: number;
}

const MAX_CNAME_HOPS = 8;

export async function rawCares(options: {
  server: string;
  hostnames: readonly string[];
  samples: number;
  concurrency: number;
  timeoutMs: number;
  tries: number;
  walkCnames?: boolean;
}): Promise<RawCaresResult> {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
  resolver.setServers([options.server]);
  const lookups = options.hostnames.flatMap((name) =>
    Array.from({ length: options.samples }, (_, sample) => ({ name, walk: sample === 0 })),
  );
  let next = 0;
  let answered = 0;
  let queries = 0;
  const settle = <T>(query: Promise<T>): Promise<T | null> => {
    queries++;
    return query.then(
      (value) => value,
      () => null,
    );
  };
  const walk = async (name: string) => {
    let current = name;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      const target = (await settle(resolver.resolveCname(current)))?.[0];
      if (target === undefined) return;
      current = target;
    }
  };
  const worker = async () => {
    for (;;) {
      const lookup = lookups[next++];
      if (lookup === undefined) return;
      const [a, aaaa] = await Promise.all([
        settle(resolver.resolve4(lookup.name, { ttl: true })),
        settle(resolver.resolve6(lookup.name, { ttl: true })),
        options.walkCnames && lookup.walk ? walk(lookup.name) : undefined,
      ]);
      if (a !== null || aaaa !== null) answered++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const ms = performance.now() - started;
  resolver.cancel();
  return { queries, ms, queriesPerSecond: (queries / ms) * 1000, answered };
}
