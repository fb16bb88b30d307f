import type { DriftEvent, DriftEventType, Severity } from "#shared/compare/drift-event";
import type { HostObservation } from "#shared/domain/observation";
import type { ChangeSetRecord } from "#shared/notify/ports";
import type { ObservationQueries } from "#shared/observe/dns/observation-store";
import type { ChangeSetPages, ObservationPages, Page } from "#shared/query/pages";

/** In-memory read sides for the auditor's use cases: pages of `limit`, cursors are offsets. */

function pageOf<Item>(
  items: readonly Item[],
  cursor: string | undefined,
  limit: number,
): Page<Item> {
  const start = cursor === undefined ? 0 : Number(cursor);
  const end = start + limit;
  return { items: items.slice(start, end), cursor: end < items.length ? String(end) : null };
}

/** Observations by hostname, each list oldest first; `asked` records every call. */
export function fakeObservations(byHost: Record<string, HostObservation[]>) {
  const asked: string[] = [];
  const runsOf = (hostname: string) => byHost[hostname] ?? [];
  const queries: Pick<ObservationQueries, "observationAt" | "history"> & ObservationPages = {
    async observationAt(hostname, at) {
      asked.push(`observationAt ${hostname} ${at}`);
      return (
        runsOf(hostname)
          .filter((run) => run.observedAt <= at)
          .at(-1) ?? null
      );
    },
    async history(hostname, range = {}) {
      asked.push(`history ${hostname} ${range.to ?? ""} ${range.limit ?? ""}`);
      const inRange = runsOf(hostname).filter(
        (run) =>
          (range.from === undefined || run.observedAt >= range.from) &&
          (range.to === undefined || run.observedAt <= range.to),
      );
      return range.limit === undefined ? inRange : inRange.slice(-range.limit);
    },
    async historyPage(hostname, page) {
      asked.push(`historyPage ${hostname} ${page.cursor ?? "-"}`);
      const inRange = runsOf(hostname).filter(
        (run) =>
          (page.from === undefined || run.observedAt >= page.from) &&
          (page.to === undefined || run.observedAt <= page.to),
      );
      return pageOf(inRange, page.cursor, page.limit);
    },
  };
  return { queries, asked };
}

/** Committed change sets, scanned in the order given; `asked` records every page asked. */
export function fakeChangeSets(changeSets: readonly ChangeSetRecord[]) {
  const asked: { since?: string; until?: string; cursor?: string; limit: number }[] = [];
  const pages: ChangeSetPages = {
    async committedChangeSets(page) {
      asked.push(page);
      const matching = changeSets.filter(
        (c) =>
          (page.since === undefined || c.createdAt >= page.since) &&
          (page.until === undefined || c.createdAt <= page.until),
      );
      // A scan page reads `limit` items and answers those that match: keep the offsets of all.
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      const end = start + page.limit;
      return {
        items: matching.slice(start, end),
        cursor: end < matching.length ? String(end) : null,
      };
    },
  };
  return { pages, asked };
}

export interface EventFacts {
  severity?: Severity;
  endpointIds?: string[];
  added?: string[];
  removed?: string[];
  runId?: string;
  evidence?: DriftEvent["evidence"];
  group?: string | null;
  subject?: DriftEvent["subject"];
}

/** A change event of an endpoint, real-shaped, from a few facts. */
export function changeEvent(
  eventId: string,
  type: DriftEventType,
  facts: EventFacts = {},
): DriftEvent {
  const [first = "endpoint"] = facts.endpointIds ?? [];
  return {
    eventId,
    type,
    severity: facts.severity ?? "high",
    runId: facts.runId ?? "run-1",
    detectedAt: "2026-08-21T01:00:00.000Z",
    subject: facts.subject ?? { kind: "endpoint", key: `endpoint:${first}`, endpointId: first },
    group: facts.group === undefined ? "product-updates" : facts.group,
    endpoint: null,
    endpoints: (facts.endpointIds ?? []).map((id) => ({
      id,
      hostname: null,
      group: "product-updates",
      service: "service",
      policy: "pinned",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    })),
    added: facts.added ?? [],
    removed: facts.removed ?? [],
    evidence: facts.evidence ?? {},
    reason: `${type} ${eventId}`,
    action: "none",
    warnings: [],
  } satisfies DriftEvent;
}

/** A published change set of `events`, committed at `createdAt`. */
export function committedChangeSet(
  changeSetId: string,
  createdAt: string,
  events: DriftEvent[],
  overrides: Partial<ChangeSetRecord> = {},
): ChangeSetRecord {
  return {
    changeSetId,
    subject: events[0]?.subject ?? { kind: "endpoint", key: "endpoint:x", endpointId: "x" },
    group: events[0]?.group ?? null,
    sequence: 1,
    runId: events[0]?.runId ?? "run-1",
    catalogueId: "clearswift-seg-5.3",
    createdAt,
    events,
    state: "published",
    attempts: 1,
    publishedParts: [],
    publishedAt: createdAt,
    ...overrides,
  } satisfies ChangeSetRecord;
}
