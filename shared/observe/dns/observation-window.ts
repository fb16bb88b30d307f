import ipaddr from "ipaddr.js";
import type { ExpectationPolicy } from "#shared/catalogue/schema";
import type {
  HostObservation,
  ObservedIp,
  ResolutionOutcome,
  ResolverAnswer,
  SuspiciousAnswer,
} from "#shared/domain/observation";

/**
 * The observation window: how one run's answers change a hostname's observed set. Pure: the
 * previous state, this run's answers and `now` in, the next state out.
 *
 * - An IP enters on its first sighting.
 * - It leaves only after it has been absent from successful answers for BOTH `grace.runs`
 *   successful runs and `grace.hours` since it was last seen, so rotating answers do not flap.
 * - A failed run (no usable answer) never removes anything; it counts a consecutive failure.
 * - Suspicious answers (private, loopback, link-local, CGNAT, multicast, reserved and
 *   documentation ranges, unspecified, …, and the public addresses the run distrusts, such as a
 *   sinkhole's) never enter, and an answer that carries one is no
 *   evidence that an IP is gone (it may come from a hijacking or sinkholing resolver).
 */

export interface Grace {
  /** Successful runs in a row without the IP. */
  runs: number;
  /** Hours since the IP was last seen. */
  hours: number;
}

/** Grace periods by expectation policy: rotating names get a long one. */
export const DEFAULT_GRACE: Record<ExpectationPolicy, Grace> = {
  pinned: { runs: 3, hours: 1 },
  pool: { runs: 3, hours: 1 },
  "hostname-only": { runs: 3, hours: 1 },
  cloudfront: { runs: 3, hours: 1 },
  "aws-ip-ranges": { runs: 3, hours: 1 },
  rotating: { runs: 8, hours: 24 },
  "any-destination": { runs: 3, hours: 1 },
  internal: { runs: 3, hours: 1 },
  // Never resolved (resolvableHostnames leaves wildcard domains out); listed for completeness.
  "wildcard-domain": { runs: 3, hours: 1 },
};

/**
 * The grace period of a hostname listed under several endpoints: the longest of its policies'
 * (most runs and most hours), so no endpoint sees an IP leave before its own grace is over.
 */
export function effectiveGrace(
  policies: Iterable<ExpectationPolicy>,
  table: Record<ExpectationPolicy, Grace> = DEFAULT_GRACE,
): Grace {
  let grace: Grace | null = null;
  for (const policy of policies) {
    const candidate = table[policy];
    grace =
      grace === null
        ? { ...candidate }
        : {
            runs: Math.max(grace.runs, candidate.runs),
            hours: Math.max(grace.hours, candidate.hours),
          };
  }
  if (grace === null) throw new RangeError("effectiveGrace needs at least one policy");
  return grace;
}

/** Outcomes that are an authoritative answer (the name exists or has no such records). */
export const SUCCESSFUL_OUTCOMES: readonly ResolutionOutcome[] = ["answered", "nodata"];

/** Most telling first: used to pick one outcome out of several answers or samples. */
const OUTCOME_RANK: readonly ResolutionOutcome[] = [
  "answered",
  "nodata",
  "nxdomain",
  "servfail",
  "refused",
  "error",
  "timeout",
];

/** The most telling of several outcomes (`answered` beats any failure). */
export function mostTellingOutcome(outcomes: Iterable<ResolutionOutcome>): ResolutionOutcome {
  let best: ResolutionOutcome = "timeout";
  for (const outcome of outcomes) {
    if (OUTCOME_RANK.indexOf(outcome) < OUTCOME_RANK.indexOf(best)) best = outcome;
  }
  return best;
}

export type AddressClass =
  | { suspicious: false; ip: string; family: 4 | 6 }
  | { suspicious: true; ip: string; family: 4 | 6; range: string };

/**
 * Classifies an answered address: anything ipaddr.js does not call `unicast` (public) is
 * suspicious for a public vendor hostname. The IP comes back in canonical form.
 */
export function classifyAddress(address: string): AddressClass {
  const parsed = ipaddr.parse(address);
  const family = parsed.kind() === "ipv4" ? 4 : 6;
  const ip = parsed.toString();
  const range = parsed.range();
  return range === "unicast"
    ? { suspicious: false, ip, family }
    : { suspicious: true, ip, family, range };
}

export interface AdvanceOptions {
  hostname: string;
  runId: string;
  now: Date;
  grace: Grace;
  /** Departed IPs kept per hostname, newest first (default 256): bounds the item size. */
  maxDeparted?: number;
  /**
   * Public addresses distrusted in this run, by resolver, with the range to record them under
   * (e.g. `sinkhole`, see sinkhole.ts): treated like private or reserved answers.
   */
  distrusted?: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

const HOUR_MS = 3_600_000;

export function advanceObservation(
  previous: HostObservation | null,
  answers: ResolverAnswer[],
  options: AdvanceOptions,
): HostObservation {
  // A repeated run must not count twice.
  if (previous !== null && previous.runId === options.runId) return previous;

  const { hostname, runId, now, grace } = options;
  const observedAt = now.toISOString();
  const sightings = readAnswers(answers, options.distrusted);
  const usable =
    sightings.seen.size > 0 || sightings.absenceProven[4] || sightings.absenceProven[6];
  const departed = new Map((previous?.departed ?? []).map((ip) => [ip.ip, ip]));
  const { active, left } = ageActive(previous?.active ?? [], sightings, {
    usable,
    now,
    grace,
    departed,
  });
  const entered = enterNew(previous?.active ?? [], sightings.seen, {
    observedAt,
    departed,
    active,
  });

  return {
    hostname,
    runId,
    observedAt,
    outcome: answers.length === 0 ? "timeout" : mostTellingOutcome(answers.map((a) => a.outcome)),
    consecutiveFailures: usable ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
    active: active.sort((x, y) => compareIps(x.ip, y.ip)),
    entered: entered.sort(compareIps),
    left: left.sort((x, y) => compareIps(x.ip, y.ip)),
    departed: keptDeparted(departed, options.maxDeparted ?? 256),
    trackedSince: previous?.trackedSince ?? observedAt,
    suspicious: sightings.suspicious.sort(
      (x, y) => compareIps(x.ip, y.ip) || x.resolver.localeCompare(y.resolver),
    ),
    answers,
    grace: { ...grace },
  };
}

/** What one run's answers show: the IPs seen (and by whom), the suspicious ones, proven absences. */
interface Sightings {
  seen: Map<string, { family: 4 | 6; resolvers: Set<string> }>;
  suspicious: SuspiciousAnswer[];
  /** A family some resolver answered authoritatively (no suspicious address in its answer). */
  absenceProven: { 4: boolean; 6: boolean };
  /**
   * Resolvers that gave no usable answer for a family: an IP one of them ever returned is not
   * proven absent by the others (geo-DNS: each vantage point sees its own addresses).
   */
  unproven: { 4: Set<string>; 6: Set<string> };
}

function readAnswers(
  answers: readonly ResolverAnswer[],
  distrusted: AdvanceOptions["distrusted"],
): Sightings {
  const sightings: Sightings = {
    seen: new Map(),
    suspicious: [],
    absenceProven: { 4: false, 6: false },
    unproven: { 4: new Set(), 6: new Set() },
  };
  for (const answer of answers) {
    let carriesSuspicious = false;
    const records = [
      ...answer.a.map((record) => record.ip),
      ...answer.aaaa.map((record) => record.ip),
    ];
    for (const address of records) {
      const classified = classifyAddress(address);
      const range = classified.suspicious
        ? classified.range
        : distrusted?.get(answer.resolver)?.get(classified.ip);
      if (range !== undefined) {
        carriesSuspicious = true;
        addSuspicious(sightings.suspicious, {
          ip: classified.ip,
          range,
          resolver: answer.resolver,
        });
        continue;
      }
      const entry = sightings.seen.get(classified.ip) ?? {
        family: classified.family,
        resolvers: new Set<string>(),
      };
      entry.resolvers.add(answer.resolver);
      sightings.seen.set(classified.ip, entry);
    }
    const families = answer.families ?? { a: answer.outcome, aaaa: answer.outcome };
    for (const [family, outcome] of [
      [4, families.a],
      [6, families.aaaa],
    ] as const) {
      if (!carriesSuspicious && SUCCESSFUL_OUTCOMES.includes(outcome)) {
        sightings.absenceProven[family] = true;
      } else sightings.unproven[family].add(answer.resolver);
    }
  }
  return sightings;
}

function addSuspicious(suspicious: SuspiciousAnswer[], answer: SuspiciousAnswer): void {
  const duplicate = suspicious.some((s) => s.ip === answer.ip && s.resolver === answer.resolver);
  if (!duplicate) suspicious.push(answer);
}

/**
 * The previously active IPs after this run: seen again (sighted), kept (no usable proof of
 * absence), or absent one more run, leaving (into `departed`) once the grace is over.
 */
function ageActive(
  previouslyActive: readonly ObservedIp[],
  sightings: Sightings,
  run: { usable: boolean; now: Date; grace: Grace; departed: Map<string, ObservedIp> },
): { active: ObservedIp[]; left: ObservedIp[] } {
  const observedAt = run.now.toISOString();
  const active: ObservedIp[] = [];
  const left: ObservedIp[] = [];
  for (const ip of previouslyActive) {
    const sighting = sightings.seen.get(ip.ip);
    if (sighting !== undefined) {
      active.push(sighted(ip, sighting.resolvers, observedAt));
      continue;
    }
    if (
      !run.usable ||
      !sightings.absenceProven[ip.family] ||
      ip.resolvers.some((resolver) => sightings.unproven[ip.family].has(resolver))
    ) {
      active.push(ip);
      continue;
    }
    const absentRuns = (ip.absentRuns ?? 0) + 1;
    const absentMs = run.now.getTime() - Date.parse(ip.lastSeen);
    if (absentRuns >= run.grace.runs && absentMs >= run.grace.hours * HOUR_MS) {
      const gone = { ...ip, absentRuns, leftAt: observedAt };
      left.push(gone);
      run.departed.set(gone.ip, gone);
    } else {
      active.push({ ...ip, absentRuns });
    }
  }
  return { active, left };
}

/**
 * Adds the IPs seen that were not active to `active` (one that departed before comes back with
 * its history) and returns them: they entered in this run.
 */
function enterNew(
  previouslyActive: readonly ObservedIp[],
  seen: Sightings["seen"],
  run: { observedAt: string; departed: Map<string, ObservedIp>; active: ObservedIp[] },
): string[] {
  const { observedAt, departed, active } = run;
  const wasActive = new Set(previouslyActive.map((ip) => ip.ip));
  const entered: string[] = [];
  for (const [address, sighting] of seen) {
    if (wasActive.has(address)) continue;
    entered.push(address);
    const before = departed.get(address);
    departed.delete(address);
    if (before !== undefined) {
      const { leftAt: _leftAt, ...history } = before;
      active.push(sighted(history, sighting.resolvers, observedAt));
    } else {
      active.push({
        ip: address,
        family: sighting.family,
        firstSeen: observedAt,
        lastSeen: observedAt,
        timesSeen: 1,
        resolvers: [...sighting.resolvers].sort(),
        absentRuns: 0,
      });
    }
  }
  return entered;
}

/** The departed IPs kept: the `max` that left last, in IP order. */
function keptDeparted(departed: Map<string, ObservedIp>, max: number): ObservedIp[] {
  return [...departed.values()]
    .sort((x, y) => (y.leftAt ?? "").localeCompare(x.leftAt ?? "") || compareIps(x.ip, y.ip))
    .slice(0, max)
    .sort((x, y) => compareIps(x.ip, y.ip));
}

function sighted(ip: ObservedIp, resolvers: Set<string>, observedAt: string): ObservedIp {
  return {
    ...ip,
    lastSeen: observedAt,
    timesSeen: ip.timesSeen + 1,
    resolvers: [...new Set([...ip.resolvers, ...resolvers])].sort(),
    absentRuns: 0,
  };
}

/** Orders IPv4 before IPv6, then numerically. */
export function compareIps(x: string, y: string): number {
  const a = ipaddr.parse(x).toByteArray();
  const b = ipaddr.parse(y).toByteArray();
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}
