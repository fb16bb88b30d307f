import { type AllowlistPlan, planAllowlists } from "#shared/allowlists/plan-allowlists";
import { compareText } from "#shared/domain/canonical";
import { type DriftEvent, severityRank } from "./drift-event";
import type { DriftInput } from "./drift-input";
import { documentedIpUnused, poolIpUnused } from "./verdicts/documented-ip-unused";
import { type EndpointCase, endpointCases } from "./verdicts/endpoint-case";
import { type FeedCase, feedCases } from "./verdicts/feed-case";
import { feedRangesChanged } from "./verdicts/feed-ranges-changed";
import { feedRejected } from "./verdicts/feed-rejected";
import { ipAdded } from "./verdicts/ip-added";
import { ipOutsidePublishedRanges } from "./verdicts/ip-outside-published-ranges";
import { ipRemoved } from "./verdicts/ip-removed";
import { poolCases } from "./verdicts/pool-case";
import { resolutionFailed } from "./verdicts/resolution-failed";
import { retiredIpSeen } from "./verdicts/retired-ip-seen";
import { createRunContext } from "./verdicts/run-context";
import { suspiciousAnswer } from "./verdicts/suspicious-answer";
import { vendorDocumentChanged } from "./verdicts/vendor-document-changed";

export interface DriftEvaluation {
  /** Sorted by subject, severity, type and id. */
  events: DriftEvent[];
  /** This cycle's allowlists, planned once: the record step writes them. */
  allowlists: AllowlistPlan;
}

/** The verdicts of one endpoint, of one pool in a group, of one feed in a group. */
const ENDPOINT_VERDICTS: readonly ((c: EndpointCase) => DriftEvent[])[] = [
  retiredIpSeen,
  ipOutsidePublishedRanges,
  ipAdded,
  ipRemoved,
  suspiciousAnswer,
  resolutionFailed,
  documentedIpUnused,
];

const FEED_VERDICTS: readonly ((f: FeedCase) => DriftEvent[])[] = [feedRejected, feedRangesChanged];

/**
 * The verdict engine: what was observed (DNS state per hostname, feed snapshots and diffs),
 * judged by each endpoint's expectation policy (`POLICY_TABLE`). Pure: time is `now`, identity
 * is `runId`.
 *
 * 1. Plan this run's allowlists (`planAllowlists`): the actions say what the files list, and
 *    the result carries the plan for the record step to write.
 * 2. Per endpoint with a hostname: IPs that entered the observed set in this run are judged by
 *    the policy (ip-added, ip-outside-published-ranges, retired-ip-seen), IPs that left by it
 *    (ip-removed), and the run itself (resolution-failed, suspicious-answer); its own documented
 *    IPs no answer has used for the grace period (documented-ip-unused).
 * 3. Per pool and group: the pool's IPs no answer has used for the grace period.
 * 4. Per feed and group: relevant prefix changes (feed-ranges-changed) and rejected downloads
 *    (feed-rejected).
 * 5. Per check of the vendor's document: a changed text (vendor-document-changed).
 *
 * Event ids hash the canonical change and what caused it: the run for changes that happen once
 * (an IP entering or leaving), a stable marker for standing conditions (the last sighting of an
 * unused IP, the last success before a failure streak, the snapshot pair of a feed diff) so a
 * condition that persists over many runs keeps its id and is notified once.
 */
/** The verdicts of one run, newest rules first: `evaluateDriftAndPlan` without the plan. */
export function evaluateDrift(input: DriftInput): DriftEvent[] {
  return evaluateDriftAndPlan(input).events;
}

/** The verdicts of one run with the allowlist plan they were judged against (planned once). */
export function evaluateDriftAndPlan(input: DriftInput): DriftEvaluation {
  const plan = planAllowlists({
    catalogue: input.catalogue,
    observations: input.observations,
    feeds: input.feeds,
    ...(input.writtenAllowlists === undefined ? {} : { written: input.writtenAllowlists }),
  });
  const run = createRunContext(input, plan);
  const events = [
    ...endpointCases(run).flatMap((c) => ENDPOINT_VERDICTS.flatMap((verdict) => verdict(c))),
    ...poolCases(run).flatMap(poolIpUnused),
    ...feedCases(run).flatMap((f) => FEED_VERDICTS.flatMap((verdict) => verdict(f))),
    ...(input.documents ?? []).flatMap((check) => vendorDocumentChanged(run, check)),
  ];
  events.sort(
    (a, b) =>
      compareText(a.subject.key, b.subject.key) ||
      severityRank(a.severity) - severityRank(b.severity) ||
      compareText(a.type, b.type) ||
      compareText(a.eventId, b.eventId),
  );
  return { events, allowlists: plan };
}
