import type { ResolutionOutcome, ResolverAnswer } from "#shared/domain/observation";
import { mostTellingOutcome } from "#shared/observe/dns/observation-window";

/**
 * The DNS port: one lookup of one hostname at one resolver (a vantage point), giving A, AAAA and
 * optionally the CNAME chain as a `ResolverAnswer`. Failures are outcomes, never exceptions.
 */
export interface LookupRequest {
  hostname: string;
  /** `host:port` of one of the resolver's servers. */
  server: string;
  /** Also walk the CNAME chain (costs a query per hop; once per run is enough). */
  walkCnames: boolean;
  /** Epoch ms: past it the lookup gives up with outcome `timeout`, detail "run deadline". */
  deadline: number;
}

export interface DnsResolver {
  /** The configured resolvers, as `host:port`. */
  readonly servers: readonly string[];
  lookup(request: LookupRequest): Promise<ResolverAnswer>;
  /** Cancels whatever is still in flight and frees the sockets. */
  close(): void;
}

export const RUN_DEADLINE = "run deadline";

/** The answer recorded for a lookup the run deadline did not leave time for. */
export function deadlineAnswer(server: string): ResolverAnswer {
  return {
    resolver: server,
    outcome: "timeout",
    cnameChain: [],
    a: [],
    aaaa: [],
    families: { a: "timeout", aaaa: "timeout" },
    detail: RUN_DEADLINE,
  };
}

/** Outcomes worth asking again (a resolver's transient trouble), as opposed to real answers. */
export const RETRYABLE_OUTCOMES: readonly ResolutionOutcome[] = ["timeout", "servfail", "error"];

/**
 * Merges several samples of one resolver into one answer: the union of addresses (lowest TTL
 * per address), the longest CNAME chain, the most telling outcome per family.
 *
 * The first sample is the one checked against the CNAME chain (`walkCnames`); the others are not.
 * So a later sample's NODATA for a family counts only where the first sample's did too: where the
 * check turned the first's NODATA into `error` (or the first failed otherwise), the later NODATA
 * is unchecked and takes the first's outcome, so it cannot outrank it.
 */
export function mergeSamples(samples: ResolverAnswer[]): ResolverAnswer {
  const [first] = samples;
  if (first === undefined) throw new RangeError("mergeSamples needs at least one sample");
  if (samples.length === 1) return { ...first, samples: first.samples ?? 1 };
  const firstFamily = (key: "a" | "aaaa") => first.families?.[key] ?? first.outcome;
  const familyOf = (sample: ResolverAnswer, index: number, key: "a" | "aaaa") => {
    const outcome = sample.families?.[key] ?? sample.outcome;
    return index > 0 && outcome === "nodata" && firstFamily(key) !== "nodata"
      ? firstFamily(key)
      : outcome;
  };
  const union = (records: { ip: string; ttl: number }[][]) => {
    const byIp = new Map<string, number>();
    for (const record of records.flat()) {
      byIp.set(record.ip, Math.min(record.ttl, byIp.get(record.ip) ?? Number.POSITIVE_INFINITY));
    }
    return [...byIp].map(([ip, ttl]) => ({ ip, ttl }));
  };
  const families = {
    a: mostTellingOutcome(samples.map((s, i) => familyOf(s, i, "a"))),
    aaaa: mostTellingOutcome(samples.map((s, i) => familyOf(s, i, "aaaa"))),
  };
  const details = [...new Set(samples.flatMap((s) => (s.detail === undefined ? [] : [s.detail])))];
  const cnameChain = samples.reduce<string[]>(
    (longest, s) => (s.cnameChain.length > longest.length ? s.cnameChain : longest),
    [],
  );
  return {
    resolver: first.resolver,
    outcome: mostTellingOutcome([families.a, families.aaaa]),
    cnameChain,
    a: union(samples.map((s) => s.a)),
    aaaa: union(samples.map((s) => s.aaaa)),
    families,
    ...(details.length > 0 ? { detail: details.join("; ") } : {}),
    samples: samples.reduce((sum, s) => sum + (s.samples ?? 1), 0),
  };
}
