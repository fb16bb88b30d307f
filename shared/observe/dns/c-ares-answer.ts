import type { ResolutionOutcome, ResolverAnswer } from "#shared/domain/observation";
import { mostTellingOutcome } from "#shared/observe/dns/observation-window";
import { RUN_DEADLINE } from "#shared/observe/dns/resolver";

/** One c-ares query: its value, or the outcome and what failed. */
export type QueryResult<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: ResolutionOutcome; detail: string };

/** Address records of one family, with their TTLs. */
export type AddressRecords = QueryResult<{ address: string; ttl: number }[]>;

/**
 * The CNAME chain as followed, one hop per query. `broken` says why it cannot hold addresses:
 * it loops, it is longer than the hop limit, or its last name does not exist.
 */
export interface CnameWalk {
  chain: string[];
  broken: string | undefined;
}

/** What one lookup at one resolver asked, and what it got. */
export interface CaresLookup {
  hostname: string;
  server: string;
  a: AddressRecords;
  aaaa: AddressRecords;
  walk: CnameWalk;
  /**
   * The end of the CNAME chain asked again, for each family whose NODATA needed it
   * (`needsChainConfirmation`).
   */
  confirmed: { a?: QueryResult<readonly unknown[]>; aaaa?: QueryResult<readonly unknown[]> };
}

/** A family's outcome as it was answered: records, none (NODATA), or the failure. */
function answeredOutcome(result: QueryResult<readonly unknown[]>): ResolutionOutcome {
  if (!result.ok) return result.outcome;
  return result.value.length > 0 ? "answered" : "nodata";
}

/**
 * Whether a family's NODATA must be confirmed at the end of the CNAME chain before it is believed:
 * a CNAME to a name with only AAAA is a real A-NODATA, but a last name that does have addresses
 * of the family means the resolver is at fault.
 */
export function needsChainConfirmation(
  result: QueryResult<readonly unknown[]>,
  walk: CnameWalk,
): boolean {
  return answeredOutcome(result) === "nodata" && walk.broken === undefined && walk.chain.length > 0;
}

/**
 * The answer of one lookup (pure). NODATA is an authoritative absence only when the chain can
 * hold addresses and its last name has none of that family either; a resolver that answers a
 * broken chain with NOERROR and no address (c-ares: NODATA) is not reporting an absence, and one
 * shown wrong about one family of a name is not believed about the other.
 */
export function caresAnswer(lookup: CaresLookup): ResolverAnswer {
  const { a, aaaa, walk } = lookup;
  const details = [a, aaaa].flatMap((result) =>
    !result.ok && result.outcome !== "nodata" ? [result.detail] : [],
  );
  const inconsistentFrom = details.length;
  const outcomeA = familyOutcome(lookup, "A", details);
  const outcomeAaaa = familyOutcome(lookup, "AAAA", details);
  const faulty = details.length > inconsistentFrom;
  const believed = (outcome: ResolutionOutcome) =>
    faulty && outcome === "nodata" ? "error" : outcome;
  const families = {
    a: believed(outcomeA),
    aaaa: believed(outcomeAaaa),
  } satisfies ResolverAnswer["families"];
  if (walk.broken !== undefined && (families.a === "error" || families.aaaa === "error")) {
    details.push(walk.broken);
  }
  const deadlineOnly = details.length > 0 && details.every((d) => d === RUN_DEADLINE);
  return {
    resolver: lookup.server,
    outcome: mostTellingOutcome([families.a, families.aaaa]),
    cnameChain: walk.chain,
    a: a.ok ? a.value.map((record) => ({ ip: record.address, ttl: record.ttl })) : [],
    aaaa: aaaa.ok ? aaaa.value.map((record) => ({ ip: record.address, ttl: record.ttl })) : [],
    families,
    ...(details.length > 0 ? { detail: deadlineOnly ? RUN_DEADLINE : details.join("; ") } : {}),
  };
}

/** One family's outcome; adds to `details` why a NODATA is not believed. */
function familyOutcome(
  lookup: CaresLookup,
  label: "A" | "AAAA",
  details: string[],
): ResolutionOutcome {
  const outcome = answeredOutcome(label === "A" ? lookup.a : lookup.aaaa);
  if (outcome !== "nodata") return outcome;
  if (lookup.walk.broken !== undefined) return "error";
  const last = lookup.walk.chain.at(-1);
  const confirmed = label === "A" ? lookup.confirmed.a : lookup.confirmed.aaaa;
  if (last === undefined || confirmed === undefined) return outcome;
  if (confirmed.ok && confirmed.value.length === 0) return outcome;
  if (!confirmed.ok && confirmed.outcome === "nodata") return outcome;
  details.push(
    confirmed.ok
      ? `${label} NODATA for ${lookup.hostname}, but the end of its CNAME chain, ${last}, ` +
          `has ${label} records`
      : `${label} NODATA for ${lookup.hostname} not confirmed at the end of its CNAME ` +
          `chain: ${last} ${confirmed.detail}`,
  );
  return "error";
}
