import type { DriftEvent, DriftEventType } from "#shared/compare/drift-event";
import type { ChangeSetRecord, EventQueries, PublishState } from "#shared/notify/ports";
import type { ChangeSetPages } from "./pages";

/** A committed change event with the change set it was committed in. */
export type CommittedEvent = DriftEvent & {
  changeSet: { changeSetId: string; sequence: number; committedAt: string; state: PublishState };
};

export interface CommittedEventsDeps {
  events: Pick<EventQueries, "listChangeSets">;
}

export interface CommittedEventsInput {
  /** Only change sets committed at or after this ISO instant. */
  since?: string;
  /** Only these types; every type when empty. */
  types: readonly DriftEventType[];
  /** At most this many events, the newest. */
  limit: number;
}

export interface CommittedEvents {
  /** How many events match (all, not only those answered). */
  total: number;
  /** Newest first, at most `limit`. */
  events: CommittedEvent[];
}

/**
 * The committed change events (`driftwatch events`):
 * 1. Read the committed change sets (since `since`) and take their events, each with its change set.
 * 2. Keep the asked types; answer the newest first, at most `limit`, and how many matched.
 */
export async function queryCommittedEvents(
  deps: CommittedEventsDeps,
  input: CommittedEventsInput,
): Promise<CommittedEvents> {
  const changeSets = await deps.events.listChangeSets(
    input.since !== undefined ? { since: input.since } : {},
  );
  const types = new Set<string>(input.types);
  const events: CommittedEvent[] = changeSets
    .flatMap((changeSet) =>
      changeSet.events.map((event) => ({
        ...event,
        changeSet: {
          changeSetId: changeSet.changeSetId,
          sequence: changeSet.sequence,
          committedAt: changeSet.createdAt,
          state: changeSet.state,
        },
      })),
    )
    .filter((event) => types.size === 0 || types.has(event.type))
    .reverse();
  return { total: events.length, events: events.slice(0, input.limit) };
}

/** Which committed events a paged read answers. */
export interface CommittedEventFilter {
  /** Only change sets committed at or after / at or before these ISO instants. */
  since?: string;
  until?: string;
  /** Only these types; every type when empty. */
  types: readonly DriftEventType[];
}

export interface CommittedEventPagesDeps {
  events: ChangeSetPages;
}

/** The events of `changeSets` of the asked types, each with its change set, in stored order. */
export function committedEventsOf(
  changeSets: readonly ChangeSetRecord[],
  types: readonly DriftEventType[],
): CommittedEvent[] {
  const asked = new Set<string>(types);
  return changeSets.flatMap((changeSet) =>
    changeSet.events
      .filter((event) => asked.size === 0 || asked.has(event.type))
      .map((event) => ({
        ...event,
        changeSet: {
          changeSetId: changeSet.changeSetId,
          sequence: changeSet.sequence,
          committedAt: changeSet.createdAt,
          state: changeSet.state,
        },
      })),
  );
}

function pageRequest(input: CommittedEventFilter, limit: number, cursor: string | undefined) {
  return {
    ...(input.since !== undefined ? { since: input.since } : {}),
    ...(input.until !== undefined ? { until: input.until } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    limit,
  };
}

/**
 * One page of the committed events (`GET /events`): one page of the change-set scan (`limit`
 * change sets read; the events of those that match), newest first within the page; the pages
 * come in the table's order, not by time. `cursor` is the opaque text of the page before.
 */
export async function queryCommittedEventsPage(
  deps: CommittedEventPagesDeps,
  input: CommittedEventFilter & { cursor?: string; limit: number },
): Promise<{ events: CommittedEvent[]; cursor: string | null }> {
  const page = await deps.events.committedChangeSets(pageRequest(input, input.limit, input.cursor));
  const events = committedEventsOf(page.items, input.types).reverse().sort(newestFirst);
  return { events, cursor: page.cursor };
}

/**
 * The committed events, newest first, at most `limit` (`driftwatch events`), read page by page:
 * memory holds one page and the newest `limit` events so far, never the table.
 * 1. Scan the change sets (since / until) page by page.
 * 2. Keep the asked types, count them, and keep the newest `limit`.
 */
export async function queryNewestCommittedEvents(
  deps: CommittedEventPagesDeps,
  input: CommittedEventFilter & { limit: number; pageSize?: number },
): Promise<CommittedEvents> {
  let newest: CommittedEvent[] = [];
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.events.committedChangeSets(
      pageRequest(input, input.pageSize ?? 200, cursor),
    );
    const events = committedEventsOf(page.items, input.types);
    total += events.length;
    newest = [...newest, ...events.reverse()].sort(newestFirst).slice(0, input.limit);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return { total, events: newest };
}

/** By commit time, subject and sequence, newest first (as `queryCommittedEvents` answers). */
export function newestFirst(a: CommittedEvent, b: CommittedEvent): number {
  return (
    b.changeSet.committedAt.localeCompare(a.changeSet.committedAt) ||
    b.subject.key.localeCompare(a.subject.key) ||
    b.changeSet.sequence - a.changeSet.sequence
  );
}
