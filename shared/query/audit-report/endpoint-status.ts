import type { Endpoint } from "#shared/catalogue/schema";
import type { DriftEvent } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";

/**
 * An endpoint's status at the end of the report's period.
 * - `suspicious`: its hostname's last run had a private or reserved answer (first: a hijack or a
 *   leak matters more than what else the run saw);
 * - `failing`: its last run had no usable answer;
 * - `drifted`: a high or medium change event about it was committed in the period;
 * - `ok`: observed, none of those;
 * - `not-observed`: nothing to resolve (no hostname, a wildcard) or never observed by then.
 */
export type EndpointStatus = "ok" | "drifted" | "failing" | "suspicious" | "not-observed";

export interface EndpointStatusRow {
  endpointId: string;
  hostname: string | null;
  group: string;
  service: string;
  policy: Endpoint["policy"];
  ports: string;
  status: EndpointStatus;
  /** Since when the status holds (ISO), when known. */
  since: string | null;
  /** The observed set in effect at the end of the period. */
  observed: string[];
  /** Why, in a few words (the outcome, the suspicious ranges, the drift event types). */
  detail: string;
}

/** The event types that say the firewall rule no longer matches what the hostname serves. */
const FAILURE_EVENT_TYPES = new Set(["resolution-failed", "feed-rejected"]);

/** `443/tcp out, 80/tcp out`. */
export function formatPorts(endpoint: Pick<Endpoint, "ports">): string {
  return endpoint.ports.map((p) => `${p.port}/${p.protocol} ${p.direction}`).join(", ");
}

/**
 * The status of one endpoint from its hostname's runs in the period (oldest first; the last is
 * the state at the end) or, when it had none, the observation in effect then; and the events of
 * the period.
 */
export function endpointStatus(
  endpoint: Endpoint,
  state: HostObservation | null,
  runs: readonly HostObservation[],
  events: readonly DriftEvent[],
): EndpointStatusRow {
  const base = {
    endpointId: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    service: endpoint.service,
    policy: endpoint.policy,
    ports: formatPorts(endpoint),
  };
  if (state === null) {
    const detail = endpoint.hostname === null ? "port rule, nothing to resolve" : "never observed";
    return { ...base, status: "not-observed", since: null, observed: [], detail };
  }
  const observed = state.active.map((ip) => ip.ip);
  if (state.suspicious.length > 0) {
    const since = streakStart(runs, state, (run) => run.suspicious.length > 0);
    const detail = state.suspicious.map((s) => `${s.ip} (${s.range})`).join(", ");
    return { ...base, status: "suspicious", since, observed, detail };
  }
  if (state.consecutiveFailures > 0) {
    const since = streakStart(runs, state, (run) => run.consecutiveFailures > 0);
    return { ...base, status: "failing", since, observed, detail: failureDetail(state) };
  }
  const drift = events.filter(
    (event) =>
      event.severity !== "low" &&
      !FAILURE_EVENT_TYPES.has(event.type) &&
      event.endpoints.some((ref) => ref.id === endpoint.id),
  );
  const last = drift.reduce<DriftEvent | null>(
    (newest, event) => (newest === null || event.detectedAt > newest.detectedAt ? event : newest),
    null,
  );
  if (last !== null) {
    const detail = [...new Set(drift.map((event) => event.type))].join(", ");
    return { ...base, status: "drifted", since: last.detectedAt, observed, detail };
  }
  return { ...base, status: "ok", since: state.trackedSince, observed, detail: "" };
}

function failureDetail(state: HostObservation): string {
  const runs = state.consecutiveFailures === 1 ? "1 run" : `${state.consecutiveFailures} runs`;
  return `${state.outcome} (${runs} in a row)`;
}

/**
 * When the streak that `state` ends began: the oldest run of the unbroken series of runs,
 * ending with `state`, that have `holds`. Only the runs read are known: a streak that began
 * before them starts at the oldest one read.
 */
function streakStart(
  runs: readonly HostObservation[],
  state: HostObservation,
  holds: (run: HostObservation) => boolean,
): string {
  let since = state.observedAt;
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run === undefined || run.observedAt > state.observedAt) continue;
    if (!holds(run)) break;
    since = run.observedAt;
  }
  return since;
}
