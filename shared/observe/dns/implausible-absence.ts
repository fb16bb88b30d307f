import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import { mostTellingOutcome } from "#shared/observe/dns/observation-window";

/**
 * A NODATA answer ("the name exists, it has no A records") is an authoritative absence: after the
 * grace period, the addresses it no longer returns leave the observed set and are notified as
 * `ip-removed`. One hostname losing its addresses is a real change; most of the catalogue losing
 * them in the same run, at one resolver, is that resolver misbehaving (a filtering or broken
 * forwarder, a middlebox echoing queries back, which c-ares reads as NODATA). Believed, it would
 * empty the firewall rules of every endpoint an hour later.
 *
 * So, per resolver and address family: when, among the hostnames that had addresses of the
 * family before this run, at least `minHostnames` and at least `ratio` of them got NODATA for it
 * from that resolver, those NODATA answers are not trusted as absence. They become `error` (a
 * failure, which removes nothing), with a detail that says why, and so does the other family's
 * NODATA in the same answer (the resolver is not believed for that name); the run reports them
 * as failures. A NODATA for a name that had no addresses of the family (most names have no AAAA) is
 * not counted and stays as it is.
 */
export interface ImplausibleAbsenceOptions {
  /** Fewest emptied hostnames that make a resolver's absences implausible (default 2). */
  minHostnames: number;
  /** Share of the hostnames with addresses that must be emptied (default 0.2). */
  ratio: number;
}

export const DEFAULT_IMPLAUSIBLE_ABSENCE: ImplausibleAbsenceOptions = {
  minHostnames: 2,
  ratio: 0.2,
};

export interface DistrustedAbsence {
  resolver: string;
  family: 4 | 6;
  /** Hostnames that had addresses of the family and got NODATA for it from this resolver. */
  emptied: string[];
  /** Hostnames that had addresses of the family and were asked of this resolver. */
  eligible: number;
}

const FAMILIES = [
  { family: 4, key: "a" },
  { family: 6, key: "aaaa" },
] as const;

/**
 * Returns the answers with implausible NODATA answers turned into failures (a new map; the input
 * is not changed), and what was distrusted. Pure.
 */
export function distrustImplausibleAbsence(
  answers: ReadonlyMap<string, readonly ResolverAnswer[]>,
  previous: ReadonlyMap<string, Pick<HostObservation, "active"> | null>,
  options: ImplausibleAbsenceOptions = DEFAULT_IMPLAUSIBLE_ABSENCE,
): { answers: Map<string, ResolverAnswer[]>; distrusted: DistrustedAbsence[] } {
  const distrusted: DistrustedAbsence[] = [];
  const resolvers = new Set([...answers.values()].flat().map((answer) => answer.resolver));
  for (const resolver of [...resolvers].sort()) {
    for (const { family, key } of FAMILIES) {
      let eligible = 0;
      const emptied: string[] = [];
      for (const [hostname, hostAnswers] of answers) {
        const had = previous.get(hostname)?.active.some((ip) => ip.family === family) ?? false;
        const answer = hostAnswers.find((a) => a.resolver === resolver);
        if (!had || answer === undefined) continue;
        eligible++;
        if (familyOutcome(answer, key) === "nodata") emptied.push(hostname);
      }
      if (emptied.length >= options.minHostnames && emptied.length >= options.ratio * eligible) {
        distrusted.push({ resolver, family, emptied: emptied.sort(), eligible });
      }
    }
  }
  if (distrusted.length === 0) {
    return { answers: new Map([...answers].map(([h, list]) => [h, [...list]])), distrusted };
  }

  const out = new Map<string, ResolverAnswer[]>();
  for (const [hostname, hostAnswers] of answers) {
    out.set(
      hostname,
      hostAnswers.map((answer) => {
        const verdicts = distrusted.filter(
          (d) => d.resolver === answer.resolver && d.emptied.includes(hostname),
        );
        if (verdicts.length === 0) return answer;
        // The resolver is not believed for this name: neither family's NODATA is an absence.
        const untrusted = (key: "a" | "aaaa") => {
          const outcome = familyOutcome(answer, key);
          return outcome === "nodata" ? "error" : outcome;
        };
        const families = { a: untrusted("a"), aaaa: untrusted("aaaa") };
        const untrustedNodata = (["a", "aaaa"] as const).filter(
          (key) => familyOutcome(answer, key) === "nodata",
        );
        const why = verdicts
          .map(
            (d) =>
              `${d.family === 4 ? "A" : "AAAA"} NODATA not trusted: ${d.emptied.length} of the ` +
              `${d.eligible} hostnames with IPv${d.family} addresses got none from this resolver ` +
              "in this run",
          )
          .join("; ");
        return {
          ...answer,
          families,
          untrustedNodata,
          outcome: mostTellingOutcome([families.a, families.aaaa]),
          detail: answer.detail === undefined ? why : `${answer.detail}; ${why}`,
        };
      }),
    );
  }
  return { answers: out, distrusted };
}

function familyOutcome(answer: ResolverAnswer, key: "a" | "aaaa") {
  return answer.families?.[key] ?? answer.outcome;
}
