import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import type { EventQueries } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import { type CommittedEvent, queryCommittedEventsPage } from "../committed-events";
import { queryHostnameAt } from "../hostname-at";
import { queryHostnameHistory } from "../hostname-history";
import { type IpUse, queryIpUse } from "../ip-use";
import { type NotificationsPage, queryNotifications } from "../notifications";
import type { ChangeSetPages, ObservationPages } from "../pages";
import { decodeHistoryCursor, encodeApiCursor, type HistoryCursor } from "./api-cursor";
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
  > &
    ObservationPages;
  events: Pick<EventQueries, "publishedChangeSets"> & ChangeSetPages;
  /** A catalogue the detector judges against, as last imported: endpoints, groups, documents. */
  catalogue: (catalogueId: string) => Promise<Catalogue>;
  /** The deployment's catalogues (DRIFTWATCH_CATALOGUE_IDS): `?catalogue=` names one of them. */
  catalogueIds: readonly string[];
  /** The one a request without `?catalogue=` is answered from (default: the first). */
  defaultCatalogueId?: string;
  /** The wall clock: `at` and `to` when a request leaves them out. */
  now?: () => Date;
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
  /** The events of the page's change sets, newest first within the page. */
  events: CommittedEvent[];
  cursor: string | null;
}

export type { IpUse, NotificationsPage };

function neverObserved(hostname: string): ApiNotFoundError {
  return new ApiNotFoundError(
    `hostname ${hostname} has never been observed (only catalogued hostnames are resolved)`,
    { reason: "never-observed", hostname },
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
        { reason: "not-yet-observed", hostname, trackedSince: answer.trackedSince },
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

/**
 * The catalogue `?catalogue=ID` names, or the default; one the deployment does not watch is a
 * 404 naming it and the ones it does (the API never reads another catalogue).
 */
export async function selectedCatalogue(
  deps: AuditApiDeps,
  requested: string | undefined,
): Promise<Catalogue> {
  const catalogueId = requested ?? deps.defaultCatalogueId ?? deps.catalogueIds[0] ?? "";
  if (!deps.catalogueIds.includes(catalogueId)) {
    throw new ApiNotFoundError(
      `no catalogue ${JSON.stringify(catalogueId)} in this deployment: it watches ${deps.catalogueIds.join(", ")}`,
      { reason: "unknown-catalogue", catalogue: catalogueId },
    );
  }
  return deps.catalogue(catalogueId);
}

/** `GET /ips/{ip}[?catalogue=ID]`: which hostnames ever resolved to it, and what the catalogue says of it. */
export async function ipRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<IpUse & { catalogueId: string }> {
  const input = parseParameters(IpParameters, parameters);
  const catalogue = await selectedCatalogue(deps, input.catalogue);
  return { catalogueId: catalogue.id, ...(await queryIpUse(deps, { catalogue, ip: input.ip })) };
}

/**
 * `GET /events?since=…&until=…&type=…&limit=…&cursor=…`: one page of the committed change
 * events (`queryCommittedEventsPage`): the events of the asked types in `limit` change sets read,
 * newest first within the page; the pages come in the table's order, so a caller that wants the
 * newest of all reads every page (as `driftwatch events --api` does). A page may be empty and
 * still have a cursor.
 */
export async function eventsRoute(
  deps: AuditApiDeps,
  parameters: RouteParameters,
): Promise<EventsAnswer> {
  const input = parseParameters(EventsParameters, parameters);
  return queryCommittedEventsPage(deps, {
    ...(input.since !== undefined ? { since: input.since.start } : {}),
    ...(input.until !== undefined ? { until: input.until.end } : {}),
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
    types: input.type,
    limit: input.limit,
  });
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
