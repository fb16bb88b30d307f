import type { EventRecord } from "#shared/record/ports";

/** Keys of the change-event items (TABLE.md, "Change events"). */

/** `gsi1pk` of the change events whose change set is not published yet (sparse index). */
export const UNPUBLISHED = "UNPUBLISHED";

/**
 * `gsi1pk` of the change sets once published (`gsi1sk = <publishedAt>#<changeSetId>`): the
 * notifications in the order they went out, for `driftwatch notifications`.
 */
export const PUBLISHED_CHANGE_SET = "PUBLISHED_CHANGE_SET";

export const publishedSortKey = (publishedAt: string, changeSetId: string) =>
  `${publishedAt}#${changeSetId}`;

export const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: "EVENT" });
export const changeSetKey = (changeSetId: string) => ({
  pk: `EVENT#${changeSetId}`,
  sk: "CHANGESET",
});
export const sequenceKey = (subjectKey: string) => ({ pk: `SEQ#${subjectKey}`, sk: "SEQ" });

/** `<subjectKey>#<sequence, zero-padded>#<eventId>`: pending events in subject and sequence order. */
export function pendingSortKey(record: EventRecord): string {
  return `${record.subjectKey}#${String(record.sequence).padStart(10, "0")}#${record.eventId}`;
}
