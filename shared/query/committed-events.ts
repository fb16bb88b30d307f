import type { DriftEvent, DriftEventType } from "#shared/compare/drift-event";
import type { EventQueries, PublishState } from "#shared/notify/ports";

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
