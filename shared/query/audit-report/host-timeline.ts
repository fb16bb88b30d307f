import type { HostObservation, ResolutionOutcome } from "#shared/domain/observation";

/** One run of a hostname on its timeline. */
export interface TimelineRun {
  observedAt: string;
  runId: string;
  outcome: ResolutionOutcome;
}

/** A stretch of time an IP was in the hostname's observed set. */
export interface IpSpan {
  from: string;
  /** When it left; null while still in the observed set at the last run read. */
  to: string | null;
}

/** One IP's line on the timeline. */
export interface IpTrack {
  ip: string;
  family: 4 | 6;
  spans: IpSpan[];
  /** Runs (observedAt) whose answers carried it. */
  seen: string[];
  /** Runs in which it entered, and in which it left, the observed set. */
  entered: string[];
  left: string[];
  /** A private or reserved answer: seen, never in the observed set. */
  suspicious: boolean;
}

/** A hostname's runs in the period and the IPs they saw, for the report's SVG. */
export interface HostTimeline {
  hostname: string;
  runs: TimelineRun[];
  ips: IpTrack[];
  /** More runs were in the period than were read: the oldest are not shown. */
  truncated: boolean;
}

/**
 * The timeline of a hostname from its runs in the period, oldest first: for each IP, when it was
 * in the observed set (a span opens at the run it is first in, closes at the run it is no longer
 * in), the runs whose answers carried it, and the runs in which it entered or left. IPs are
 * ordered by when they first appear, then by address.
 */
export function hostTimeline(
  hostname: string,
  runs: readonly HostObservation[],
  truncated: boolean,
): HostTimeline {
  const tracks = new Map<string, IpTrack>();
  const track = (ip: string, family: 4 | 6): IpTrack => {
    let found = tracks.get(ip);
    if (found === undefined) {
      found = { ip, family, spans: [], seen: [], entered: [], left: [], suspicious: false };
      tracks.set(ip, found);
    }
    return found;
  };
  for (const run of runs) {
    const at = run.observedAt;
    const active = new Set(run.active.map((ip) => ip.ip));
    for (const ip of run.active) {
      const line = track(ip.ip, ip.family);
      const open = line.spans.at(-1);
      if (open === undefined || open.to !== null) line.spans.push({ from: at, to: null });
    }
    for (const line of tracks.values()) {
      const open = line.spans.at(-1);
      if (open !== undefined && open.to === null && !active.has(line.ip)) open.to = at;
    }
    for (const answer of run.answers) {
      for (const record of answer.a) addSeen(track(record.ip, 4), at);
      for (const record of answer.aaaa) addSeen(track(record.ip, 6), at);
    }
    for (const ip of run.entered) track(ip, ip.includes(":") ? 6 : 4).entered.push(at);
    for (const ip of run.left) track(ip.ip, ip.family).left.push(at);
    for (const answer of run.suspicious) {
      track(answer.ip, answer.ip.includes(":") ? 6 : 4).suspicious = true;
    }
  }
  return {
    hostname,
    runs: runs.map((run) => ({
      observedAt: run.observedAt,
      runId: run.runId,
      outcome: run.outcome,
    })),
    ips: [...tracks.values()].sort(
      (a, b) => firstTime(a).localeCompare(firstTime(b)) || a.ip.localeCompare(b.ip),
    ),
    truncated,
  };
}

function addSeen(line: IpTrack, at: string): void {
  if (line.seen.at(-1) !== at) line.seen.push(at);
}

function firstTime(line: IpTrack): string {
  return (
    [line.spans[0]?.from, line.seen[0], line.entered[0]]
      .filter((t): t is string => t !== undefined)
      .sort()[0] ?? ""
  );
}
