import { isWildcardDomain } from "#shared/catalogue/schema";
import type { DriftEvent, Severity } from "#shared/compare/drift-event";
import type { FeedId, FeedIngestResult, FeedIngestStatus } from "#shared/domain/feed";
import {
  FAILURE_OUTCOMES,
  type HostObservation,
  type ResolutionOutcome,
} from "#shared/domain/observation";
import type { VendorDocumentCheck, VendorDocumentStatus } from "#shared/domain/vendor-document";
import type { DetectionCycleResult } from "./detection-cycle";
import { type FirewallAction, firewallActions } from "./firewall-actions";

/**
 * The run report: the summary a person reads and `--json` prints. Pure: built from the cycle's
 * result, the exit code included.
 */
export interface DetectionReport {
  runId: string;
  startedAt: string;
  durationMs: number;
  catalogue: { id: string; vendor: string; product: string; endpoints: number };
  summary: {
    /**
     * Endpoints with a resolvable hostname (port rules and wildcard domains have nothing to
     * observe).
     */
    checked: number;
    unchanged: number;
    /** Endpoints with a `high` or `medium` event in this run, unless they are failing. */
    drifted: number;
    /** Endpoints whose hostname could not be resolved in this run. */
    failing: number;
    hostnames: number;
    resolved: number;
    events: number;
    /**
     * Events first committed by this run, or (locally) by an earlier run killed or interrupted
     * before its report; the others are standing conditions, reported before.
     */
    newEvents: number;
    /**
     * Of those, events of an earlier run that an interrupted cycle saved and did not judge: this
     * cycle judged that run first (under its own run id) and committed them.
     */
    recovered: number;
    highSeverity: number;
    published: number;
    pending: number;
  };
  /** What a firewall owner must do, one row per firewall rule (group and ports). */
  actions: FirewallAction[];
  failures: {
    hostname: string;
    outcome: ResolutionOutcome;
    detail: string;
    consecutiveFailures: number;
  }[];
  suspicious: { hostname: string; ip: string; range: string; resolver: string }[];
  /**
   * Each resolver's health in this run, so a dead vantage point shows even when another one
   * answered for every name (the hostname then counts as resolved, not failing).
   */
  resolvers: ResolverHealth[];
  feeds: {
    feed: FeedId;
    status: FeedIngestStatus;
    reason?: string;
    /**
     * The stored snapshot could not be read back from the archive: names the key and what was
     * done (restored, new baseline, or no ranges for this run).
     */
    warning?: string;
    syncToken?: string;
    sha256?: string;
    /**
     * A snapshot accepted as what later ones are compared with, not a change: the first of a
     * feed, or one accepted without a diff because the previous one could not be read back
     * (`added` is then 0: nothing is reported added or removed).
     */
    baseline: boolean;
    added: number;
    removed: number;
  }[];
  /**
   * The check of the vendor's document the catalogue names (absent: none named). A failed
   * download is only this status: it raises no event and does not change the exit code.
   */
  document?: {
    url: string;
    status: VendorDocumentStatus;
    reason?: string;
    sha256?: string;
    /** When the current version was first fetched. */
    since?: string;
    linesAdded?: number;
    linesRemoved?: number;
  };
  locations: ReportLocations;
  exit: { code: 0 | 1 | 2; reason: string };
  /** Every event of the run, in the SNS contract's shape; `new` as for `summary.newEvents`. */
  events: (DriftEvent & { new: boolean })[];
}

/**
 * What a report is built from: a cycle's result, or one catalogue's part of it
 * (catalogue-reports.ts).
 */
export type ReportedCycle = Omit<DetectionCycleResult, "catalogues">;

export interface ResolverHealth {
  /** `host:port`. */
  resolver: string;
  /** Hostnames it gave a usable answer for (addresses, or an absence it was believed about). */
  answered: number;
  /** Hostnames it failed for (timeout, SERVFAIL, REFUSED, NXDOMAIN, error, not believed). */
  failed: number;
  /** Hostnames it answered with a suspicious address (private, reserved, sinkhole). */
  suspicious: number;
  /** The failures by outcome, e.g. `{ timeout: 48 }`. */
  failures: Partial<Record<ResolutionOutcome, number>>;
}

export interface ReportLocations {
  /** `embedded` (dynalite/fauxqs under the state directory) or `aws`. */
  mode: "embedded" | "aws";
  allowlists: string;
  history: string;
  notifications: string;
}

const ACTIONABLE: readonly Severity[] = ["high", "medium"];
const NOT_DRIFT = new Set<DriftEvent["type"]>(["resolution-failed", "feed-rejected"]);

/**
 * `unreported`: events committed by earlier runs whose report was never delivered (killed or
 * interrupted runs; the local CLI keeps a watermark). They are listed and counted as new too.
 */
export function buildDetectionReport(
  result: ReportedCycle,
  locations: ReportLocations,
  unreported: readonly DriftEvent[] = [],
): DetectionReport {
  const { catalogue, observations, drift } = result;
  const { events, recovered, newEventIds } = reportedEvents(result, unreported);
  const endpoints = endpointStates(result, events);
  const highSeverity = events.filter((e) => e.severity === "high").length;
  const newHigh = events.filter((e) => e.severity === "high" && newEventIds.has(e.eventId)).length;
  const resolved = observations.filter((o) => !isFailure(o.outcome)).length;
  const backlog = result.backlog.map((judged) => judged.drift);
  return {
    runId: result.runId,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    catalogue: {
      id: catalogue.id,
      vendor: catalogue.vendor,
      product: catalogue.product,
      endpoints: catalogue.endpoints.length,
    },
    summary: {
      ...endpoints,
      hostnames: observations.length,
      resolved,
      events: events.length,
      highSeverity,
      published: drift.published + sum(backlog.map((d) => d.published)),
      newEvents: events.filter((event) => newEventIds.has(event.eventId)).length,
      recovered: recovered.length,
      pending: drift.publishFailures.length + sum(backlog.map((d) => d.publishFailures.length)),
    },
    actions: firewallActions(events),
    failures: failuresOf(observations),
    suspicious: suspiciousOf(observations),
    resolvers: resolverHealth(observations),
    feeds: result.feeds.map(feedRow),
    ...(result.document === undefined ? {} : { document: documentRow(result.document) }),
    locations,
    exit: exitFor({
      newHigh,
      standingHigh: highSeverity - newHigh,
      resolved,
      hostnames: observations.length,
      feedsRead: result.feeds.some((f) => f.status !== "unreachable" && f.status !== "rejected"),
    }),
    events: events.map((event) => ({ ...event, new: newEventIds.has(event.eventId) })),
  };
}

/**
 * The events to list: the run's own, then those of earlier, interrupted cycles that this one
 * judged and committed (`recovered`: new here too), then the unreported ones; and the ids of
 * those that are new (committed by this cycle, or unreported).
 */
function reportedEvents(result: ReportedCycle, unreported: readonly DriftEvent[]) {
  const { drift } = result;
  const ownIds = new Set(drift.events.map((e) => e.eventId));
  const recovered = uniqueById(
    result.backlog.flatMap((judged) => judged.drift.changeSets.flatMap((c) => c.events)),
  ).filter((event) => !ownIds.has(event.eventId));
  const listed = new Set([...ownIds, ...recovered.map((e) => e.eventId)]);
  const events = [
    ...drift.events,
    ...recovered,
    ...uniqueById(unreported).filter((e) => !listed.has(e.eventId)),
  ];
  const newEventIds = new Set([
    ...[drift, ...result.backlog.map((judged) => judged.drift)].flatMap((d) =>
      d.changeSets.flatMap((c) => c.events.map((e) => e.eventId)),
    ),
    ...unreported.map((e) => e.eventId),
  ]);
  return { events, recovered, newEventIds };
}

/**
 * Endpoints with a resolvable hostname by state: unchanged + drifted + failing = checked; a
 * wildcard domain (`wildcard-domain`) is never resolved, so it is not checked. A failing
 * endpoint is not also counted as drifted (a feed event names endpoints whose hostname may have
 * failed in the same run).
 */
function endpointStates(
  result: Pick<DetectionCycleResult, "catalogue" | "observations">,
  events: readonly DriftEvent[],
): Pick<DetectionReport["summary"], "checked" | "unchanged" | "drifted" | "failing"> {
  const byHost = new Map(result.observations.map((o) => [o.hostname, o]));
  const checkedEndpoints = result.catalogue.endpoints.filter(
    (e) => e.hostname !== null && e.policy !== "wildcard-domain" && !isWildcardDomain(e.hostname),
  );
  const failingIds = new Set(
    checkedEndpoints
      .filter((e) => isFailure(byHost.get(e.hostname as string)?.outcome))
      .map((e) => e.id),
  );
  const driftedIds = new Set<string>();
  for (const event of events) {
    // Failures count as failing; a rejected feed download is not drift of its endpoints.
    if (!ACTIONABLE.includes(event.severity) || NOT_DRIFT.has(event.type)) continue;
    for (const endpoint of event.endpoints) {
      if (!failingIds.has(endpoint.id)) driftedIds.add(endpoint.id);
    }
  }
  const unchanged = checkedEndpoints.filter(
    (e) => !driftedIds.has(e.id) && !failingIds.has(e.id),
  ).length;
  return {
    checked: checkedEndpoints.length,
    unchanged,
    drifted: driftedIds.size,
    failing: failingIds.size,
  };
}

function failuresOf(observations: readonly HostObservation[]): DetectionReport["failures"] {
  return observations
    .filter((o) => isFailure(o.outcome))
    .map((o) => ({
      hostname: o.hostname,
      outcome: o.outcome,
      detail: failureDetail(o.answers),
      consecutiveFailures: o.consecutiveFailures,
    }));
}

function suspiciousOf(observations: readonly HostObservation[]): DetectionReport["suspicious"] {
  return observations.flatMap((o) =>
    o.suspicious.map((s) => ({
      hostname: o.hostname,
      ip: s.ip,
      range: s.range,
      resolver: s.resolver,
    })),
  );
}

function documentRow(check: VendorDocumentCheck): NonNullable<DetectionReport["document"]> {
  return {
    url: check.url,
    status: check.status,
    ...(check.reason === undefined ? {} : { reason: check.reason }),
    ...(check.current === undefined
      ? {}
      : { sha256: check.current.sha256, since: check.current.fetchedAt }),
    ...(check.diff === undefined
      ? {}
      : { linesAdded: check.diff.linesAdded, linesRemoved: check.diff.linesRemoved }),
  };
}

function feedRow(f: FeedIngestResult): DetectionReport["feeds"][number] {
  return {
    feed: f.feed,
    status: f.status,
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    ...(f.warning !== undefined ? { warning: f.warning } : {}),
    ...(f.current?.syncToken !== undefined ? { syncToken: f.current.syncToken } : {}),
    ...(f.current !== null ? { sha256: f.current.sha256 } : {}),
    baseline: f.status === "updated" && (f.diff === undefined || f.diff.from === null),
    added: f.diff?.added.length ?? 0,
    removed: f.diff?.removed.length ?? 0,
  };
}

/** Per resolver: for how many hostnames it answered, failed, or answered suspiciously. */
export function resolverHealth(
  observations: DetectionCycleResult["observations"],
): ResolverHealth[] {
  const byResolver = new Map<string, ResolverHealth>();
  for (const observation of observations) {
    for (const answer of observation.answers) {
      const health = byResolver.get(answer.resolver) ?? {
        resolver: answer.resolver,
        answered: 0,
        failed: 0,
        suspicious: 0,
        failures: {},
      };
      byResolver.set(answer.resolver, health);
      if (isFailure(answer.outcome)) {
        health.failed++;
        health.failures[answer.outcome] = (health.failures[answer.outcome] ?? 0) + 1;
      } else {
        health.answered++;
      }
      if (observation.suspicious.some((s) => s.resolver === answer.resolver)) health.suspicious++;
    }
  }
  return [...byResolver.values()].sort((a, b) => a.resolver.localeCompare(b.resolver));
}

function uniqueById(events: readonly DriftEvent[]): DriftEvent[] {
  const byId = new Map<string, DriftEvent>();
  for (const event of events) if (!byId.has(event.eventId)) byId.set(event.eventId, event);
  return [...byId.values()];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function isFailure(outcome: ResolutionOutcome | undefined): boolean {
  return outcome !== undefined && FAILURE_OUTCOMES.includes(outcome);
}

function failureDetail(answers: readonly { resolver: string; outcome: string; detail?: string }[]) {
  return answers
    .map((a) => `${a.resolver}: ${a.outcome}${a.detail ? ` (${a.detail})` : ""}`)
    .join("; ");
}

/**
 * 2 when this run found new drift to act on (a new `high` event); standing conditions that were
 * notified by an earlier run stay in the report but do not set the code again, so a cron job
 * acts once per change. 1 when nothing could be observed at all.
 */
function exitFor(input: {
  newHigh: number;
  standingHigh: number;
  resolved: number;
  hostnames: number;
  feedsRead: boolean;
}): DetectionReport["exit"] {
  if (input.newHigh > 0) {
    // Not "firewall action" for all of them: a suspicious answer is to be investigated, not allowed.
    return { code: 2, reason: `${input.newHigh} new high-severity event(s) to act on` };
  }
  if (input.hostnames > 0 && input.resolved === 0 && !input.feedsRead) {
    return {
      code: 1,
      reason:
        "nothing could be observed: no hostname resolved and no feed was read (check --dns-server and the network)",
    };
  }
  if (input.standingHigh > 0) {
    return {
      code: 0,
      reason: `nothing new to act on (${input.standingHigh} high-severity condition(s) notified before still stand)`,
    };
  }
  return { code: 0, reason: "nothing to act on" };
}
