import { DRIFT_EVENT_TYPES, type DriftEvent } from "#shared/compare/drift-event";
import type { DemoRun } from "./demo-run";
import { clip, type VerdictSighting } from "./render";

/** Per verdict type: the runs that reported it, those that notified it, and its first example. */
export function verdictSightings(runs: readonly DemoRun[]): VerdictSighting[] {
  return DRIFT_EVENT_TYPES.map((type) => {
    const reportedIn = runs
      .filter((r) => r.report.events.some((e) => e.type === type))
      .map((r) => r.number);
    const notifiedIn = runs
      .filter((r) => r.report.events.some((e) => e.type === type && e.new))
      .map((r) => r.number);
    const first = runs.flatMap((r) => r.report.events).find((e) => e.type === type);
    return { type, reportedIn, notifiedIn, example: first === undefined ? "" : example(first) };
  });
}

/** What the tour's failing hosts went through: a failure must never remove an IP. */
export interface FailureStory {
  /** The hostnames that failed in some run. */
  failing: string[];
  /** How many runs had a failure. */
  runsWithFailures: number;
  /** The resolution-failed events notified (new) for them. */
  notices: DriftEvent[];
  /** The ip-removed events for them (none when the tour went as scripted). */
  removed: DriftEvent[];
}

export function failureStory(runs: readonly DemoRun[]): FailureStory {
  const failing = [...new Set(runs.flatMap((r) => r.report.failures.map((f) => f.hostname)))];
  const failureEvents = runs.flatMap((r) =>
    r.report.events.filter((e) => failing.includes(e.endpoint?.hostname ?? "")),
  );
  return {
    failing,
    runsWithFailures: runs.filter((r) => r.report.failures.length > 0).length,
    notices: failureEvents.filter((e) => e.type === "resolution-failed" && e.new),
    removed: failureEvents.filter((e) => e.type === "ip-removed"),
  };
}

/** The hostname, pool or feed an event is about, for one line. */
export function subjectName(event: DriftEvent): string {
  if (event.endpoint?.hostname) return event.endpoint.hostname;
  const subject = event.subject;
  if (subject.kind === "pool") return `pool ${subject.poolId}`;
  if (subject.kind === "feed") return `${subject.feed} → ${subject.group ?? "no group"}`;
  return subject.key;
}

function example(event: DriftEvent): string {
  const name = subjectName(event);
  const changes = [...event.added.map((a) => `+${a}`), ...event.removed.map((r) => `-${r}`)];
  let detail = changes.slice(0, 2).join(" ");
  if (detail === "") {
    const evidence = event.evidence;
    if (evidence.suspicious !== undefined) {
      detail = `answered ${evidence.suspicious.map((s) => `${s.ip} (${s.range})`).join(", ")}`;
    } else if (event.type === "resolution-failed") {
      detail = `${evidence.outcome?.toUpperCase()} ${evidence.consecutiveFailures} runs in a row`;
    } else if (event.type === "documented-ip-unused") {
      detail = `${evidence.ips?.map((ip) => ip.ip).join(", ")} unused`;
    } else if (event.type === "feed-rejected") {
      detail = "an HTML page, not JSON; last good snapshot kept";
    }
  }
  return clip(`${name}: ${detail}`, 80);
}
