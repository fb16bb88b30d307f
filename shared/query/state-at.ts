import type { Catalogue, Endpoint } from "#shared/catalogue/schema";
import { isWildcardDomain } from "#shared/catalogue/schema";
import type { DriftEvent, DriftEventType, Severity } from "#shared/compare/drift-event";
import type { HostObservation, ResolutionOutcome } from "#shared/domain/observation";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import { type ChangeSetPages, eachPage } from "./pages";

/**
 * An endpoint's status at a time, from the observation of its hostname in effect then and the
 * change events committed up to then (docs/history.md, "driftwatch state"), in this order:
 * - `suspicious`: the run in effect got private or reserved answers for the name;
 * - `failing`: the run in effect had no usable answer (the observed set is carried forward);
 * - `drifted`: a high-severity `ip-added`, `ip-outside-published-ranges` or `retired-ip-seen`
 *   event of the endpoint is still open: one of its IPs is still in the observed set and the
 *   catalogue does not document it for the endpoint;
 * - `ok`: none of those;
 * - `not-observed`: no observation then (the endpoint has no resolvable hostname, or the time is
 *   before its hostname's first run).
 */
export const ENDPOINT_STATUSES = [
  "ok",
  "drifted",
  "failing",
  "suspicious",
  "not-observed",
] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** The event types whose IPs keep an endpoint drifted while they stay observed. */
const DRIFT_TYPES: readonly DriftEventType[] = [
  "ip-added",
  "ip-outside-published-ranges",
  "retired-ip-seen",
];

/** A committed change event that keeps the endpoint in its status. */
export interface OpenEvent {
  eventId: string;
  type: DriftEventType;
  severity: Severity;
  /** When its change set was committed. */
  committedAt: string;
  runId: string;
  /** Its IPs that are still observed then (the suspicious ones for `suspicious-answer`). */
  ips: string[];
}

export interface EndpointState {
  endpointId: string;
  hostname: string | null;
  group: string;
  service: string;
  policy: string;
  status: EndpointStatus;
  /** Since when it has had that status; null when not observed. */
  since: string | null;
  /** The run whose observation was in effect (null when not observed). */
  runId: string | null;
  observedAt: string | null;
  outcome: ResolutionOutcome | null;
  consecutiveFailures: number;
  /** The observed set in effect. */
  observed: string[];
  /** When an IP last entered or left the observed set (or its tracking began). */
  observedSetSince: string | null;
  suspicious: { ip: string; range: string }[];
  /** The open events behind `drifted` or `suspicious`, oldest first. */
  openEvents: OpenEvent[];
}

export interface StateAt {
  /** The instant asked. */
  at: string;
  /** Every catalogued endpoint, in catalogue order. */
  endpoints: EndpointState[];
}

export interface StateAtDeps {
  observations: Pick<ObservationQueries, "observationAt" | "history">;
  events: ChangeSetPages;
}

export interface StateAtInput {
  catalogue: Catalogue;
  /** An ISO instant (for a day, its last millisecond: `When.end`). */
  at: string;
  /** Change sets per page read; default 200. */
  pageSize?: number;
}

/**
 * Every catalogued endpoint's state at a time (`driftwatch state --at`, `GET /state`):
 * 1. Scan the change sets committed up to `at`, page by page, keeping per endpoint only its
 *    drift and suspicious-answer events (memory holds one page and those).
 * 2. Read each resolvable hostname's observation in effect at `at`.
 * 3. For a failing hostname, read back its failed runs to the first (`consecutiveFailures`).
 * 4. Derive each endpoint's status and since when (see `ENDPOINT_STATUSES`).
 */
export async function queryStateAt(deps: StateAtDeps, input: StateAtInput): Promise<StateAt> {
  const eventsByEndpoint = await endpointEventsUntil(deps.events, input.at, input.pageSize ?? 200);
  const hostnames = [
    ...new Set(
      input.catalogue.endpoints
        .map((endpoint) => endpoint.hostname)
        .filter((name): name is string => name !== null && !isWildcardDomain(name)),
    ),
  ];
  const inEffect = new Map<string, { observation: HostObservation; failingSince: string | null }>();
  for (const batch of chunks(hostnames, 8)) {
    await Promise.all(
      batch.map(async (hostname) => {
        const observation = await deps.observations.observationAt(hostname, input.at);
        if (observation === null) return;
        inEffect.set(hostname, {
          observation,
          failingSince: await failingSince(deps.observations, observation),
        });
      }),
    );
  }
  const endpoints = input.catalogue.endpoints.map((endpoint) => {
    const found = endpoint.hostname === null ? undefined : inEffect.get(endpoint.hostname);
    return endpointState(
      input.catalogue,
      endpoint,
      found?.observation ?? null,
      found?.failingSince ?? null,
      eventsByEndpoint.get(endpoint.id) ?? [],
    );
  });
  return { at: input.at, endpoints };
}

async function endpointEventsUntil(
  events: ChangeSetPages,
  until: string,
  limit: number,
): Promise<Map<string, OpenEvent[]>> {
  const byEndpoint = new Map<string, Map<string, OpenEvent>>();
  const pages = eachPage((cursor) =>
    events.committedChangeSets({ until, limit, ...(cursor !== undefined ? { cursor } : {}) }),
  );
  for await (const changeSets of pages) {
    for (const changeSet of changeSets) {
      for (const event of changeSet.events) {
        const ips = statusIps(event);
        if (ips === null) continue;
        for (const endpoint of event.endpoints) {
          const known = byEndpoint.get(endpoint.id) ?? new Map<string, OpenEvent>();
          byEndpoint.set(endpoint.id, known);
          const earlier = known.get(event.eventId)?.committedAt ?? changeSet.createdAt;
          const committedAt = [earlier, changeSet.createdAt].sort()[0] ?? earlier;
          known.set(event.eventId, {
            eventId: event.eventId,
            type: event.type,
            severity: event.severity,
            committedAt,
            runId: event.runId,
            ips,
          });
        }
      }
    }
  }
  return new Map(
    [...byEndpoint].map(([id, known]) => [
      id,
      [...known.values()].sort((a, b) => a.committedAt.localeCompare(b.committedAt)),
    ]),
  );
}

/** The IPs an event holds its endpoint's status by; null for an event that holds none. */
function statusIps(event: DriftEvent): string[] | null {
  if (event.type === "suspicious-answer") {
    return (event.evidence.suspicious ?? []).map((answer) => answer.ip);
  }
  if (event.severity === "high" && DRIFT_TYPES.includes(event.type)) return event.added;
  return null;
}

/**
 * When the failing streak of the run in effect began (its first failed run); null if none. The
 * history holds the streak's first run (its failure count 1: a change of state) and the runs
 * that wrote it again since (observation-revision.ts: the runs between only confirmed it), so
 * the streak began at the newest revision up to the observation whose count is 1.
 */
async function failingSince(
  observations: Pick<ObservationQueries, "history">,
  observation: HostObservation,
): Promise<string | null> {
  if (observation.consecutiveFailures === 0) return null;
  if (observation.consecutiveFailures === 1) return observation.observedAt;
  const revisions = await observations.history(observation.hostname, {
    to: observation.observedAt,
    // At most one item per failed run, so the streak's first run is among these.
    limit: observation.consecutiveFailures,
  });
  let since = observation.observedAt;
  for (const revision of [...revisions].reverse()) {
    if (revision.consecutiveFailures === 0) break;
    since = revision.observedAt;
    if (revision.consecutiveFailures === 1) break;
  }
  return since;
}

function endpointState(
  catalogue: Catalogue,
  endpoint: Endpoint,
  observation: HostObservation | null,
  failingSince: string | null,
  events: readonly OpenEvent[],
): EndpointState {
  const base = {
    endpointId: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    service: endpoint.service,
    policy: endpoint.policy,
  };
  if (observation === null) {
    return {
      ...base,
      status: "not-observed",
      since: null,
      runId: null,
      observedAt: null,
      outcome: null,
      consecutiveFailures: 0,
      observed: [],
      observedSetSince: null,
      suspicious: [],
      openEvents: [],
    };
  }
  const observed = observation.active.map((ip) => ip.ip);
  const setSince = observedSetSince(observation);
  const { status, since, openEvents } = statusOf(
    documentedIps(catalogue, endpoint),
    observation,
    failingSince,
    setSince,
    events,
  );
  return {
    ...base,
    status,
    since,
    runId: observation.runId,
    observedAt: observation.observedAt,
    outcome: observation.outcome,
    consecutiveFailures: observation.consecutiveFailures,
    observed,
    observedSetSince: setSince,
    suspicious: observation.suspicious.map((s) => ({ ip: s.ip, range: s.range })),
    openEvents,
  };
}

function statusOf(
  documented: ReadonlySet<string>,
  observation: HostObservation,
  failingSince: string | null,
  setSince: string,
  events: readonly OpenEvent[],
): { status: EndpointStatus; since: string; openEvents: OpenEvent[] } {
  if (observation.suspicious.length > 0) {
    const suspiciousIps = new Set(observation.suspicious.map((s) => s.ip));
    const open = events
      .filter((e) => e.type === "suspicious-answer")
      .map((e) => ({ ...e, ips: e.ips.filter((ip) => suspiciousIps.has(ip)) }))
      .filter((e) => e.ips.length > 0);
    return {
      status: "suspicious",
      since: open[0]?.committedAt ?? observation.observedAt,
      openEvents: open,
    };
  }
  if (observation.consecutiveFailures > 0) {
    return {
      status: "failing",
      since: failingSince ?? observation.observedAt,
      openEvents: [],
    };
  }
  const observed = new Set(observation.active.map((ip) => ip.ip));
  const open = events
    .filter((e) => e.type !== "suspicious-answer")
    .map((e) => ({ ...e, ips: e.ips.filter((ip) => observed.has(ip) && !documented.has(ip)) }))
    .filter((e) => e.ips.length > 0);
  const [oldest] = open;
  if (oldest !== undefined)
    return { status: "drifted", since: oldest.committedAt, openEvents: open };
  return { status: "ok", since: setSince, openEvents: [] };
}

/** The IPs the catalogue documents for the endpoint: its own and its pool's. */
function documentedIps(catalogue: Catalogue, endpoint: Endpoint): Set<string> {
  const pool = catalogue.pools.find((p) => p.id === endpoint.pool);
  return new Set([...endpoint.ips, ...(pool?.ips ?? [])]);
}

function observedSetSince(observation: HostObservation): string {
  const times = [
    observation.trackedSince,
    ...observation.active.map((ip) => ip.firstSeen),
    ...observation.departed.flatMap((ip) => (ip.leftAt !== undefined ? [ip.leftAt] : [])),
  ].filter((time) => time <= observation.observedAt);
  return times.sort().at(-1) ?? observation.trackedSince;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
