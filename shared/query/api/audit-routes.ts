import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import type { EventQueries } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import { type CommittedEvent, queryCommittedEvents } from "../committed-events";
import { queryHostnameAt } from "../hostname-at";
import { queryHostnameHistory } from "../hostname-history";
import { type IpUse, queryIpUse } from "../ip-use";
import { type NotificationsPage, queryNotifications } from "../notifications";
import {
  decodeEventsCursor,
  decodeHistoryCursor,
  encodeApiCursor,
  type HistoryCursor,
} from "./api-cursor";
import { ApiNotFoundError } from "./api-errors";
import {
  EventsParameters,
  HistoryParameters,
  IpParameters,
  NotificationsParameters,
  parseParameters,
} from "./api-parameters";

/** What the audit routes read: the stores `driftwatch detect` and the functions write. */
export interface AuditApiDeps {
  observations: Pick<
    ObservationQueries,
    "latestObservations" | "observationAt" | "history" | "hostsForIp"
  >;
  events: Pick<EventQueries, "listChangeSets" | "publishedChangeSets">;
  /** The catalogue the detector judges against: what it documents for an IP. */
  catalogue: () => Promise<Catalogue>;
}

/** A route's parameters: the path's and the query string's, by name. */
export type RouteParameters = Record<string, string | undefined>;

/** `GET /history/{hostname}` with `at`: the observation in effect then. */
export interface HostnameAtAnswer {
  hostname: string;
  at: string;
  observation: HostObservation;
}

/** `GET /history/{hostname}`: the runs, newest first, one page. */
export interface HostnameRunsAnswer {
  hostname: string;
  from: string | null;
  to: string | null;
  runs: HostObservation[];
  cursor: string | null;
}

export interface EventsAnswer {
  /** Every event that matches, not only this page's. */
  total: number;
  /** Newest first. */
  events: CommittedEvent[];
  cursor: string | null;
}

export type { IpUse, NotificationsPage };

function neverObserved(hostname: string): ApiNotFoundError {
  return new ApiNotFoundError(
    `hostname ${hostname} has never been observed (only catalogued hostnames are resolved)`,
  );
}

/** The instant just before a run: where the next, older page of a history ends. */
function justBefore(cursor: HistoryCursor): string {
  return new Date(Date.parse(cursor.before) - 1).toISOString();
}

/**
 * `GET /history/{hostname}?at=…` or `?from=…&to=…&limit=…&cursor=…`:
 * 1. Validate the hostname and the times; a cursor is where the previous page stopped.
 * 2. With `at`, the observation in effect then (`queryHostnameAt`); otherwise one page of runs,
 *    newest first (`queryHostnameHistory`), and the cursor of the older ones when there are any.
 * 3. A hostname never observed, or not yet at `at`, is a 404.
 */
export async function historyRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<HostnameAtAnswer | HostnameRunsAnswer> {
  const input = parseParameters(HistoryParameters, parameters);
  const { hostname } = input;
  if (input.at !== undefined) {
    const answer = await queryHostnameAt(deps, { hostname, at: input.at.value });
    if (answer.status === "never-observed") throw neverObserved(hostname);
    if (answer.status === "not-yet-observed") {
      throw new ApiNotFoundError(
        `hostname ${hostname} was not observed yet at ${input.at.value}: it is tracked since ${answer.trackedSince}`,
      );
    }
    return { hostname, at: input.at.value, observation: answer.observation };
  }
  const after = input.cursor === undefined ? undefined : decodeHistoryCursor(input.cursor);
  const to = after !== undefined ? justBefore(after) : input.to?.value;
  const answer = await queryHostnameHistory(deps, {
    hostname,
    ...(input.from !== undefined ? { from: input.from.value } : {}),
    ...(to !== undefined ? { to } : {}),
    limit: input.limit,
  });
  if (answer.status === "never-observed") throw neverObserved(hostname);
  const oldest = answer.runs.at(-1);
  const more = answer.total === null && oldest !== undefined;
  return {
    hostname,
    from: input.from?.value ?? null,
    to: input.to?.value ?? null,
    runs: answer.runs,
    cursor: more ? encodeApiCursor({ k: "history", before: oldest.observedAt }) : null,
  };
}

/** `GET /ips/{ip}`: which hostnames ever resolved to it, and what the catalogue says of it. */
export async function ipRoute(deps: AuditApiDeps, parameters: RouteParameters): Promise<IpUse> {
  const { ip } = parseParameters(IpParameters, parameters);
  return queryIpUse(deps, { catalogue: await deps.catalogue(), ip });
}

/**
 * `GET /events?since=…&type=…&limit=…&cursor=…`: the committed change events, newest first. The
 * cursor counts the older events still to come, so events committed between two pages (they are
 * newer, at the top) do not shift the pages that follow.
 */
export async function eventsRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<EventsAnswer> {
  const input = parseParameters(EventsParameters, parameters);
  const all = await queryCommittedEvents(deps, {
    ...(input.since !== undefined ? { since: input.since.start } : {}),
    types: input.type,
    limit: Number.MAX_SAFE_INTEGER,
  });
  const remaining =
    input.cursor === undefined
      ? all.total
      : Math.min(decodeEventsCursor(input.cursor).remaining, all.total);
  const start = all.total - remaining;
  const end = start + input.limit;
  return {
    total: all.total,
    events: all.events.slice(start, end),
    cursor: end < all.total ? encodeApiCursor({ k: "events", remaining: all.total - end }) : null,
  };
}

/** `GET /notifications?since=…&limit=…&cursor=…`: one page of what subscribers were told. */
export async function notificationsRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<NotificationsPage> {
  const input = parseParameters(NotificationsParameters, parameters);
  return queryNotifications(deps, {
    ...(input.since !== undefined ? { since: input.since.start } : {}),
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
    limit: input.limit,
  });
}
