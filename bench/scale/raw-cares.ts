import { promises as dns } from "node:dns";

/**
 * Raw c-ares against the same server, for the DNS phase's ceiling: Node's `dns.promises.Resolver`
 * asking A and AAAA of every name `samples` times, `concurrency` lookups (each A + AAAA) in
 * flight, nothing else done with the answers.
 */
export interface RawCaresResult {
  queries: number;
  ms: number;
  queriesPerSecond: number;
  /** Lookups whose A or AAAA answered with an address. */
  answered: number;
}

export async function rawCares(options: {
  server: string;
  hostnames: readonly string[];
  samples: number;
  concurrency: number;
  timeoutMs: number;
  tries: number;
}): Promise<RawCaresResult> {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
  resolver.setServers([options.server]);
  const lookups = options.hostnames.flatMap((name) =>
    Array.from({ length: options.samples }, () => name),
  );
  let next = 0;
  let answered = 0;
  const settle = (query: Promise<unknown>) =>
    query.then(
      () => true,
      () => false,
    );
  const worker = async () => {
    for (;;) {
      const name = lookups[next++];
      if (name === undefined) return;
      const [a, aaaa] = await Promise.all([
        settle(resolver.resolve4(name, { ttl: true })),
        settle(resolver.resolve6(name, { ttl: true })),
      ]);
      if (a || aaaa) answered++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const ms = performance.now() - started;
  resolver.cancel();
  const queries = lookups.length * 2;
  return { queries, ms, queriesPerSecond: (queries / ms) * 1000, answered };
}
