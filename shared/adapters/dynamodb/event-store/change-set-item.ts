import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { CHANGE_EVENT_TYPES, type DriftEvent, SEVERITIES } from "#shared/compare/drift-event";
import { EventRecordError } from "#shared/notify/errors";
import type { ChangeSetRecord } from "#shared/notify/ports";
import type { ChangeSet } from "#shared/record/change-set";
import { changeSetKey } from "./event-keys";

/** The change-set item (`EVENT#<changeSetId>` / `CHANGESET`) and back: pure mapping, no I/O. */

/** Change sets larger than this are stored gzip-compressed (items are limited to 400 KB). */
const INLINE_EVENTS_MAX_BYTES = 100_000;

const SubjectItem = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("endpoint"), key: z.string(), endpointId: z.string() }),
  z.object({ kind: z.literal("pool"), key: z.string(), poolId: z.string(), group: z.string() }),
  z.object({
    kind: z.literal("feed"),
    key: z.string(),
    feed: z.enum(["cloudfront", "aws-ip-ranges"]),
    group: z.string().nullable(),
  }),
  z.object({ kind: z.literal("document"), key: z.string(), catalogueId: z.string() }),
]);

const StoredEvent = z.looseObject({
  eventId: z.string(),
  type: z.enum(CHANGE_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  subject: SubjectItem,
});

const ChangeSetItem = z.object({
  changeSetId: z.string(),
  subject: SubjectItem,
  group: z.string().nullable(),
  sequence: z.number().int().positive(),
  runId: z.string(),
  catalogueId: z.string(),
  createdAt: z.string(),
  eventsJson: z.string().optional(),
  eventsGzip: z.instanceof(Uint8Array).optional(),
  state: z.enum(["pending", "publishing", "published"]),
  attempts: z.number().int().nonnegative(),
  publishedParts: z.set(z.number()).optional(),
  lastAttemptAt: z.string().optional(),
  leaseUntil: z.string().optional(),
  publishedAt: z.string().optional(),
  deliveries: z
    .array(
      z.object({
        part: z.number().int().positive(),
        topicArn: z.string(),
        messageId: z.string(),
        subject: z.string(),
        severity: z.enum(SEVERITIES),
        sentAt: z.string(),
        eventIds: z.array(z.string()),
      }),
    )
    .optional(),
});

/** The item of a change set just committed: pending, its events inline or gzipped. */
export function changeSetItem(
  changeSet: ChangeSet,
  expiresAt: number | undefined,
): Record<string, unknown> {
  const json = JSON.stringify(changeSet.events);
  const events =
    Buffer.byteLength(json, "utf8") <= INLINE_EVENTS_MAX_BYTES
      ? { eventsJson: json }
      : { eventsGzip: gzipSync(json) };
  return {
    ...changeSetKey(changeSet.changeSetId),
    kind: "change-set",
    changeSetId: changeSet.changeSetId,
    subjectKey: changeSet.subject.key,
    subject: changeSet.subject,
    group: changeSet.group,
    sequence: changeSet.sequence,
    runId: changeSet.runId,
    catalogueId: changeSet.catalogueId,
    createdAt: changeSet.createdAt,
    eventIds: changeSet.events.map((e) => e.eventId),
    ...events,
    state: "pending",
    attempts: 0,
    expiresAt,
  };
}

/** The change set a stored item holds, with its publishing state; its events unpacked. */
export function parseChangeSet(item: Record<string, unknown>): ChangeSetRecord {
  const parsed = ChangeSetItem.safeParse(item);
  if (!parsed.success) {
    throw new EventRecordError(String(item.pk), "not a change-set item", { cause: parsed.error });
  }
  const { eventsJson, eventsGzip, publishedParts, ...rest } = parsed.data;
  const text =
    eventsJson ?? (eventsGzip === undefined ? undefined : gunzipSync(eventsGzip).toString("utf8"));
  if (text === undefined) throw new EventRecordError(String(item.pk), "change set has no events");
  const events = z.array(StoredEvent).safeParse(JSON.parse(text));
  if (!events.success) {
    throw new EventRecordError(String(item.pk), "change set events are malformed", {
      cause: events.error,
    });
  }
  return {
    ...rest,
    // The stored events were DriftEvents when written; the envelope is checked above.
    events: events.data as unknown as DriftEvent[],
    publishedParts: [...(publishedParts ?? [])].sort((a, b) => a - b),
  };
}
