import type { Catalogue } from "#shared/catalogue/schema";
import type { FeedId } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type { EventQueries } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import type { FeedPointer, FeedPointerStore } from "#shared/observe/feeds/ports";
import { type CommittedEvent, queryCommittedEvents } from "../committed-events";
import { type PublishedNotification, queryNotifications } from "../notifications";
import { type EndpointStatusRow, endpointStatus } from "./endpoint-status";
import { type HostTimeline, hostTimeline } from "./host-timeline";

export interface AuditReportDeps {
  observations: Pick<ObservationQueries, "history" | "observationAt">;
  events: Pick<EventQueries, "listChangeSets" | "publishedChangeSets">;
  feedPointers: Pick<FeedPointerStore, "get">;
}

export interface AuditReportInput {
  catalogue: Catalogue;
  /** The period, as ISO instants (the first and the last millisecond); open when absent. */
  from?: string;
  to?: string;
  /** When the report is made: the end of an open period. */
  now: string;
  /** At most this many runs per hostname on its timeline, the newest. */
  runsPerHostname: number;
  /** At most this many change events and notifications listed, the newest. */
  listLimit: number;
}

/** A feed's version at the time of the report (the pointer's snapshot), null when never read. */
export interface FeedVersion {
  feed: FeedId;
  url: string | null;
  pointer: FeedPointer | null;
}

/** Everything the auditor's HTML report shows, gathered from the query ports. */
export interface AuditReport {
  generatedAt: string;
  period: { from: string | null; to: string };
  catalogue: Pick<Catalogue, "id" | "vendor" | "product" | "document" | "review">;
  endpoints: EndpointStatusRow[];
  timelines: HostTimeline[];
  /** Newest first, at most `listLimit`; `eventsTotal` counts all in the period. */
  events: CommittedEvent[];
  eventsTotal: number;
  /** Oldest first (the order they were published), at most `listLimit`. */
  notifications: PublishedNotification[];
  notificationsTruncated: boolean;
  feeds: FeedVersion[];
}

const FEEDS: readonly FeedId[] = ["aws-ip-ranges", "cloudfront"];
/** Page size when reading the published index. */
const NOTIFICATION_PAGE = 200;

/**
 * The auditor's report over a period (`driftwatch report --html`):
 * 1. Read each catalogued hostname's runs in the period (the newest `runsPerHostname`) and the
 *    observation in effect at its end.
 * 2. Read the change events committed in the period, and the notifications published in it, page
 *    by page (at most `listLimit` of each are kept).
 * 3. Read each feed's current version.
 * 4. Derive each endpoint's status at the end of the period and each hostname's IP timeline.
 */
export async function gatherAuditReport(
  deps: AuditReportDeps,
  input: AuditReportInput,
): Promise<AuditReport> {
  const { catalogue } = input;
  const to = input.to ?? input.now;
  const hostnames = [
    ...new Set(
      catalogue.endpoints
        .filter((e) => e.hostname !== null && e.policy !== "wildcard-domain")
        .flatMap((e) => (e.hostname === null ? [] : [e.hostname])),
    ),
  ].sort();
  const [hosts, events, notifications, feeds] = await Promise.all([
    readHosts(deps, hostnames, input.from, to, input.runsPerHostname),
    readEvents(deps, input.from, to),
    readNotifications(deps, input.from, to, input.listLimit),
    Promise.all(FEEDS.map((feed) => readFeed(deps, catalogue, feed))),
  ]);
  const endpoints = catalogue.endpoints.map((endpoint) => {
    const host = endpoint.hostname === null ? undefined : hosts.get(endpoint.hostname);
    return endpointStatus(endpoint, host?.state ?? null, host?.runs ?? [], events);
  });
  return {
    generatedAt: input.now,
    period: { from: input.from ?? null, to },
    catalogue: {
      id: catalogue.id,
      vendor: catalogue.vendor,
      product: catalogue.product,
      document: catalogue.document,
      review: catalogue.review,
    },
    endpoints,
    timelines: hostnames.flatMap((hostname) => {
      const host = hosts.get(hostname);
      return host === undefined ? [] : [hostTimeline(hostname, host.runs, host.truncated)];
    }),
    events: events.slice(0, input.listLimit),
    eventsTotal: events.length,
    notifications: notifications.notifications,
    notificationsTruncated: notifications.truncated,
    feeds,
  };
}

interface HostRuns {
  runs: HostObservation[];
  truncated: boolean;
  state: HostObservation | null;
}

async function readHosts(
  deps: AuditReportDeps,
  hostnames: readonly string[],
  from: string | undefined,
  to: string,
  limit: number,
): Promise<Map<string, HostRuns>> {
  const entries = await Promise.all(
    hostnames.map(async (hostname): Promise<[string, HostRuns]> => {
      const [history, state] = await Promise.all([
        deps.observations.history(hostname, {
          ...(from !== undefined ? { from } : {}),
          to,
          limit: limit + 1,
        }),
        deps.observations.observationAt(hostname, to),
      ]);
      const truncated = history.length > limit;
      return [hostname, { runs: truncated ? history.slice(1) : history, truncated, state }];
    }),
  );
  return new Map(entries);
}

/** The events committed in the period, newest first. */
async function readEvents(
  deps: AuditReportDeps,
  from: string | undefined,
  to: string,
): Promise<CommittedEvent[]> {
  const answer = await queryCommittedEvents(
    { events: deps.events },
    { ...(from !== undefined ? { since: from } : {}), types: [], limit: Number.MAX_SAFE_INTEGER },
  );
  return answer.events.filter((event) => event.changeSet.committedAt <= to);
}

/** The notifications published in the period, page by page, stopping past `to` or `limit`. */
async function readNotifications(
  deps: AuditReportDeps,
  from: string | undefined,
  to: string,
  limit: number,
): Promise<{ notifications: PublishedNotification[]; truncated: boolean }> {
  const kept: PublishedNotification[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await queryNotifications(
      { events: deps.events },
      {
        ...(from !== undefined ? { since: from } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        limit: NOTIFICATION_PAGE,
      },
    );
    for (const notification of page.notifications) {
      if (notification.publishedAt > to) return { notifications: kept, truncated: false };
      if (kept.length === limit) return { notifications: kept, truncated: true };
      kept.push(notification);
    }
    if (page.cursor === null) return { notifications: kept, truncated: false };
    cursor = page.cursor;
  }
}

async function readFeed(
  deps: AuditReportDeps,
  catalogue: Catalogue,
  feed: FeedId,
): Promise<FeedVersion> {
  const pointer = await deps.feedPointers.get(feed);
  const url = catalogue.feeds.find((source) => source.id === feed)?.url ?? pointer?.url ?? null;
  return { feed, url, pointer };
}
