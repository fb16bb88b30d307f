import type { ExpectationPolicy } from "#shared/catalogue/schema";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  type DistrustedAbsence,
  distrustImplausibleAbsence,
} from "#shared/observe/dns/implausible-absence";
import {
  advanceObservation,
  effectiveGrace,
  mostTellingOutcome,
} from "#shared/observe/dns/observation-window";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import { distrustSinkholes, type Sinkhole, sinkholeRanges } from "#shared/observe/dns/sinkhole";

export interface RunAnswers {
  runId: string;
  /** The run's observation time (a resumed run keeps its first attempt's). */
  observedAt: Date;
  /** The hostnames this invocation resolved, in order. */
  remaining: readonly string[];
  /** Their merged answers, one per resolver. */
  answers: ReadonlyMap<string, ResolverAnswer[]>;
  /** Each one's state just before the run. */
  previous: ReadonlyMap<string, HostObservation>;
  /** The observations the run already saved (a resumed run), which the guards count too. */
  saved: ReadonlyMap<string, HostObservation>;
  policies: ReadonlyMap<string, readonly ExpectationPolicy[]>;
  options: Pick<ResolveOptions, "grace" | "implausibleAbsence" | "sinkhole">;
}

export interface RunObservations {
  /** One per remaining hostname, in their order. */
  observations: HostObservation[];
  /** Resolvers whose NODATA answers were not trusted as absence. */
  distrusted: DistrustedAbsence[];
  /** Addresses a resolver served for hostnames of many registered domains. */
  sinkholes: Sinkhole[];
}

/**
 * Step 5 of `resolveHostnames`, pure: distrusts a resolver's NODATA answers when they would empty
 * most names that had addresses (implausible-absence.ts: they become failures, which remove
 * nothing) and the addresses it served for hostnames of many registered domains (sinkhole.ts:
 * suspicious, like private ones), then advances each hostname's observation window.
 *
 * A resumed run judges its answers together with those the run already saved: the guards count
 * per run, and the remaining hostnames alone may be too few to show the pattern.
 */
export function advanceRunObservations(run: RunAnswers): RunObservations {
  const earlier = savedForGuards(run.saved);
  const trusted = distrustImplausibleAbsence(
    new Map([...earlier.answers, ...run.answers]),
    new Map<string, Pick<HostObservation, "active"> | null>([...earlier.previous, ...run.previous]),
    run.options.implausibleAbsence,
  );
  const checked = distrustSinkholes(trusted.answers, run.options.sinkhole);
  const distrusted = sinkholeRanges(checked.sinkholes);
  const observations = run.remaining.map((hostname) =>
    advanceObservation(run.previous.get(hostname) ?? null, checked.answers.get(hostname) ?? [], {
      hostname,
      runId: run.runId,
      now: run.observedAt,
      grace: effectiveGrace(run.policies.get(hostname) ?? [], run.options.grace),
      distrusted,
    }),
  );
  return { observations, distrusted: trusted.distrusted, sinkholes: checked.sinkholes };
}

/**
 * The run's already-saved observations as the guards take them: their answers, with the NODATA
 * the run did not trust restored (so it is counted again), and the addresses each hostname had
 * before the run (its active ones that did not enter in it, and those that left in it).
 */
function savedForGuards(saved: ReadonlyMap<string, HostObservation>) {
  const answers = new Map<string, ResolverAnswer[]>();
  const previous = new Map<string, Pick<HostObservation, "active">>();
  for (const [hostname, observation] of saved) {
    answers.set(
      hostname,
      observation.answers.map(({ untrustedNodata, ...answer }) => {
        if (untrustedNodata === undefined || untrustedNodata.length === 0) return answer;
        const families = { ...(answer.families ?? { a: answer.outcome, aaaa: answer.outcome }) };
        for (const key of untrustedNodata) families[key] = "nodata";
        return { ...answer, families, outcome: mostTellingOutcome([families.a, families.aaaa]) };
      }),
    );
    const entered = new Set(observation.entered);
    previous.set(hostname, {
      active: [...observation.active.filter((ip) => !entered.has(ip.ip)), ...observation.left],
    });
  }
  return { answers, previous };
}
