import { z } from "zod";
import { CHANGE_EVENT_TYPES, SEVERITIES } from "#shared/compare/drift-event";
import { EventRecordError } from "#shared/notify/errors";
import type { EventRecord } from "#shared/record/ports";
import { eventKey, pendingSortKey, UNPUBLISHED } from "./event-keys";

/** The change-event item (`EVENT#<eventId>` / `EVENT`) and back: pure mapping, no I/O. */

const EventRecordItem = z.object({
  eventId: z.string(),
  type: z.enum(CHANGE_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  subjectKey: z.string(),
  group: z.string().nullable(),
  changeSetId: z.string(),
  sequence: z.number().int().positive(),
  runId: z.string(),
  committedAt: z.string(),
  published: z.boolean(),
  publishedAt: z.string().optional(),
});

/** The item of a record just committed: unpublished, in the pending index. */
export function eventRecordItem(
  record: EventRecord,
  expiresAt: number | undefined,
): Record<string, unknown> {
  return {
    ...eventKey(record.eventId),
    kind: "change-event",
    ...record,
    published: false,
    gsi1pk: UNPUBLISHED,
    gsi1sk: pendingSortKey(record),
    expiresAt,
  };
}

export function parseEventRecord(item: Record<string, unknown>): EventRecord {
  const parsed = EventRecordItem.safeParse(item);
  if (!parsed.success) {
    throw new EventRecordError(String(item.pk), "not a change-event item", {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
