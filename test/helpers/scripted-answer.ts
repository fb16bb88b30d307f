import type { ResolverAnswer } from "#shared/domain/observation";

/**
 * A resolver's answer as a scripted fake gives it: A records of `ips` (TTL 60), no AAAA, and for
 * a failure the outcome on both families with a detail naming the script.
 */
export function scriptedAnswer(
  server: string,
  outcome: ResolverAnswer["outcome"],
  ips: string[] = [],
): ResolverAnswer {
  return {
    resolver: server,
    outcome,
    cnameChain: [],
    a: ips.map((ip) => ({ ip, ttl: 60 })),
    aaaa: [],
    families: { a: outcome, aaaa: outcome === "answered" ? "nodata" : outcome },
    ...(outcome === "answered" ? {} : { detail: `${outcome} from script` }),
  };
}
