import type { Catalogue } from "#shared/catalogue/schema";
import { resolvableHostnames } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord } from "#shared/notify/ports";
import { type ChangeSetPages, eachPage, type ObservationPages } from "./pages";

/** An IP that entered or left a hostname's observed set in a run. */
export interface HostnameChange {
  kind: "hostname";
  hostname: string;
  /** The catalogue endpoints of the hostname, and their groups. */
  endpointIds: string[];
  groups: string[];
  change: "entered" | "left";
  ip: string;
  /** The run that saw it, and when. */
  runId: string;
  observedAt: string;
  /** The observed set before that run, and after it. */
  previous: string[];
  current: string[];
}

/** A published range that entered or left a feed, for the endpoints of one firewall group. */
export interface FeedChange {
  kind: "feed";
  feed: string;
  group: string | null;
  change: "entered" | "left";
  prefix: string;
  service: string;
  region: string;
  /** The run that committed it, and when. */
  runId: string;
  observedAt: string;
  /** The feed's version before and after (syncToken, or sha256 when it has none). */
  previous: string | null;
  current: string | null;
  eventId: string;
}

export type Change = HostnameChange | FeedChange;

export interface ChangesDeps {
  observations: ObservationPages;
  events: ChangeSetPages;
}

export interface ChangesInput {
  catalogue: Catalogue;
  /** Inclusive ISO instants (for days: `When.start` of the first, `When.end` of the last). */
  from: string;
  to: string;
  /** Items per page read; default 100. */
  pageSize?: number;
}

/**
 * What entered and left between two times (`driftwatch changes`, `GET /changes`), one page of
 * changes at a time:
 * 1. Per catalogued hostname (sorted), read its runs in the range page by page, oldest first;
 *    each run's `entered` and `left` IPs are changes, with the set before and after the run.
 * 2. Then scan the change sets committed in the range page by page; each `feed-ranges-changed`
 *    event's prefixes are changes of its feed and group, with the feed's versions.
 * Memory holds one page: the answer is an async iterator of pages (possibly empty ones).
 */
export async function* changesBetween(
  deps: ChangesDeps,
  input: ChangesInput,
): AsyncGenerator<Change[]> {
  const limit = input.pageSize ?? 100;
  const { catalogue, from, to } = input;
  for (const hostname of resolvableHostnames(catalogue)) {
    const endpoints = catalogue.endpoints.filter((e) => e.hostname === hostname);
    const context = {
      hostname,
      endpointIds: endpoints.map((e) => e.id),
      groups: [...new Set(endpoints.map((e) => e.group))].sort(),
    };
    const pages = eachPage((cursor) =>
      deps.observations.historyPage(hostname, {
        from,
        to,
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      }),
    );
    for await (const runs of pages) yield runs.flatMap((run) => hostnameChanges(context, run));
  }
  const changeSets = eachPage((cursor) =>
    deps.events.committedChangeSets({
      since: from,
      until: to,
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    }),
  );
  // Two concurrent commits can list one event in two change sets: its changes are answered once.
  const answered = new Set<string>();
  for await (const page of changeSets) yield feedChangesOf(page, answered);
}

/** Every page of `changesBetween`, collected (for a caller that holds a bounded range). */
export async function queryChanges(deps: ChangesDeps, input: ChangesInput): Promise<Change[]> {
  const changes: Change[] = [];
  for await (const page of changesBetween(deps, input)) changes.push(...page);
  return changes;
}

export function hostnameChanges(
  context: Pick<HostnameChange, "hostname" | "endpointIds" | "groups">,
  run: HostObservation,
): HostnameChange[] {
  if (run.entered.length === 0 && run.left.length === 0) return [];
  const current = run.active.map((ip) => ip.ip);
  const entered = new Set(run.entered);
  const left = run.left.map((ip) => ip.ip);
  const previous = [...current.filter((ip) => !entered.has(ip)), ...left].sort(compareIps);
  const base = { kind: "hostname" as const, ...context, runId: run.runId };
  const change = (kind: "entered" | "left", ip: string): HostnameChange => ({
    ...base,
    change: kind,
    ip,
    observedAt: run.observedAt,
    previous,
    current: [...current].sort(compareIps),
  });
  return [
    ...[...entered].sort(compareIps).map((ip) => change("entered", ip)),
    ...[...left].sort(compareIps).map((ip) => change("left", ip)),
  ];
}

/**
 * The feed changes of a page of change sets, by commit time, feed, group and prefix; an event in
 * `answered` is skipped, and each one answered is added to it.
 */
export function feedChangesOf(
  changeSets: readonly ChangeSetRecord[],
  answered = new Set<string>(),
): FeedChange[] {
  return changeSets
    .flatMap((changeSet) =>
      changeSet.events
        .filter((event) => event.type === "feed-ranges-changed" && !answered.has(event.eventId))
        .flatMap((event) => {
          answered.add(event.eventId);
          return feedChanges(event, changeSet.createdAt);
        }),
    )
    .sort(
      (a, b) =>
        a.observedAt.localeCompare(b.observedAt) ||
        a.feed.localeCompare(b.feed) ||
        (a.group ?? "").localeCompare(b.group ?? "") ||
        a.change.localeCompare(b.change) ||
        a.prefix.localeCompare(b.prefix),
    );
}

function feedChanges(event: DriftEvent, committedAt: string): FeedChange[] {
  const feed = event.evidence.feed;
  const feedId = feed?.feed ?? (event.subject.kind === "feed" ? event.subject.feed : "unknown");
  return (event.evidence.prefixes ?? []).map((prefix) => ({
    kind: "feed",
    feed: feedId,
    group: event.group,
    change: prefix.change === "added" ? "entered" : "left",
    prefix: prefix.prefix,
    service: prefix.service,
    region: prefix.region,
    runId: event.runId,
    observedAt: committedAt,
    previous: feed?.previousSyncToken ?? feed?.previousSha256 ?? null,
    current: feed?.syncToken ?? feed?.sha256 ?? null,
    eventId: event.eventId,
  }));
}

/** IPv4 before IPv6, then by text (a stable, readable order). */
function compareIps(a: string, b: string): number {
  return (
    Number(a.includes(":")) - Number(b.includes(":")) || a.localeCompare(b, "en", { numeric: true })
  );
}
