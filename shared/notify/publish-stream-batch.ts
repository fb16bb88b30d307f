import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { type PublishDeps, publishPendingEvents } from "./publish-pending";
import { type ChangeEventInsert, recordsBySubject } from "./records-by-subject";

export interface PublishStreamBatchDeps extends PublishDeps {
  logger: Pick<Logger, "info" | "warn" | "error">;
  metrics: Pick<Metrics, "addMetric">;
}

export interface PublishStreamBatchInput {
  /** Records in the batch, of every kind (for the tally). */
  records: number;
  inserts: readonly ChangeEventInsert[];
  /** Change-event records without a known subject (already reported): never published. */
  unpublishable: number;
  now: Date;
  clock: () => Date;
}

/**
 * Use case: the stream trigger of publish-events, for the new change-event items of one batch.
 *
 * 1. Group the inserts by subject, in batch order.
 * 2. Per subject, publish its pending change sets in sequence order (publishPendingEvents).
 *    A subject whose change sets were left pending, or whose publishing threw, fails all of its
 *    records (Lambda retries them); the other subjects' records succeed.
 * 3. Emit `NotificationsPublished` and `UnpublishableStreamRecords`, log the tally and return the
 *    ids of the failed records.
 */
export async function publishStreamBatch(
  deps: PublishStreamBatchDeps,
  input: PublishStreamBatchInput,
): Promise<{ failedRecords: string[] }> {
  const { logger, metrics } = deps;
  // 1.
  const bySubject = recordsBySubject(input.inserts);
  // 2.
  const failedRecords: string[] = [];
  let published = 0;
  for (const [subjectKey, recordIds] of bySubject) {
    try {
      const result = await publishPendingEvents(deps, {
        now: input.now,
        subjectKey,
        clock: input.clock,
      });
      published += result.published;
      if (result.failed.length > 0) {
        for (const failure of result.failed) {
          logger.warn("change set left pending", {
            subjectKey,
            changeSetId: failure.changeSetId,
            error: failure.error,
          });
        }
        failedRecords.push(...recordIds);
      }
    } catch (error) {
      logger.error("publishing a subject failed", { subjectKey, error: error as Error });
      failedRecords.push(...recordIds);
    }
  }
  // 3.
  metrics.addMetric("NotificationsPublished", MetricUnit.Count, published);
  metrics.addMetric("UnpublishableStreamRecords", MetricUnit.Count, input.unpublishable);
  logger.info("stream batch done", {
    records: input.records,
    subjects: bySubject.size,
    published,
    unpublishable: input.unpublishable,
    failedRecords: failedRecords.length,
  });
  return { failedRecords };
}
