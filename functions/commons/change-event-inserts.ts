import type { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { isDriftSubjectKey } from "#shared/compare/drift-event";
import type { ChangeEventInsert } from "#shared/notify/records-by-subject";
import type { StreamEvent } from "./publish-events-event";

/** The key of a stream image's item (`EVENT#…` for change events and change sets). */
const ItemKey = z.object({ pk: z.object({ S: z.string() }) });

/**
 * The subject of a new change-event or change-set item: the key of a DriftSubject
 * (`isDriftSubjectKey`).
 */
const ChangeEventImage = z.object({
  subjectKey: z.object({
    S: z.string().refine(isDriftSubjectKey, "expected endpoint:…, pool:… or feed:…"),
  }),
});

export interface ChangeEventInserts {
  /** The INSERTs of `EVENT#…` items with a known subject, by sequence number, in batch order. */
  inserts: ChangeEventInsert[];
  /** INSERTs of `EVENT#…` items without a known subject (each logged as an error). */
  unpublishable: number;
}

/**
 * The change-event INSERTs of a stream batch. MODIFY/REMOVE records and other item kinds are
 * skipped with a debug line. An `EVENT#` item without a known subject is logged (with its
 * sequence number and the wrong field) and counted, not failed: the record is the item as
 * written, so every retry would carry the same image, block the shard's later records for up to
 * an hour and end in the failure queue anyway.
 */
export function changeEventInserts(
  event: StreamEvent,
  logger: Pick<Logger, "debug" | "error">,
): ChangeEventInserts {
  const inserts: ChangeEventInsert[] = [];
  let unpublishable = 0;
  for (const [index, record] of event.Records.entries()) {
    const sequenceNumber = record.dynamodb.SequenceNumber;
    if (record.eventName !== "INSERT") {
      logger.debug("stream record skipped: not an INSERT", {
        sequenceNumber,
        eventName: record.eventName,
      });
      continue;
    }
    const pk = ItemKey.safeParse(record.dynamodb.NewImage).data?.pk.S;
    if (pk === undefined || !pk.startsWith("EVENT#")) {
      logger.debug("stream record skipped: not a change event", { sequenceNumber, pk });
      continue;
    }
    const image = ChangeEventImage.safeParse(record.dynamodb.NewImage);
    if (!image.success) {
      const issue = image.error.issues[0];
      unpublishable++;
      logger.error("change-event stream record without a known subject: not published", {
        sequenceNumber,
        pk,
        field: `Records[${index}].dynamodb.NewImage.${z.core.toDotPath(issue?.path ?? [])}`,
        problem: issue?.message,
      });
      continue;
    }
    inserts.push({ recordId: sequenceNumber, subjectKey: image.data.subjectKey.S });
  }
  return { inserts, unpublishable };
}
