import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { type PublishDeps, publishPendingEvents } from "./publish-pending";
import { PublishSweepError } from "./publish-sweep-error";

export interface PublishSweepDeps extends PublishDeps {
  logger: Pick<Logger, "info" | "warn" | "error">;
  metrics: Pick<Metrics, "addMetric">;
}

export interface PublishSweepResult {
  published: number;
  changeSets: number;
  oldestPendingAgeSeconds: number;
}

/**
 * Use case: the scheduled sweep, which publishes whatever is still pending (an SNS outage,
 * exhausted stream retries).
 *
 * 1. Publish every subject's pending change sets (publishPendingEvents). When that throws, log,
 *    count 1 in `PublishSweepFailures` and rethrow (Lambda retries, the alarm fires).
 * 2. Emit `OldestUnpublishedEventAgeSeconds`, `NotificationsPublished` and
 *    `PublishSweepFailures` (1 when change sets were left unpublished, else 0), and log the tally.
 * 3. Change sets left unpublished: log them and throw `PublishSweepError` (they stay pending).
 */
export async function publishSweep(
  deps: PublishSweepDeps,
  input: { now: Date; clock: () => Date },
): Promise<PublishSweepResult> {
  const { logger, metrics } = deps;
  // 1.
  const result = await publishPendingEvents(deps, input).catch((error: unknown) => {
    logger.error("sweep failed", { error: error as Error });
    metrics.addMetric("PublishSweepFailures", MetricUnit.Count, 1);
    throw error;
  });
  // 2.
  const { published, changeSets, oldestPendingAgeSeconds } = result;
  metrics.addMetric(
    "OldestUnpublishedEventAgeSeconds",
    MetricUnit.Seconds,
    oldestPendingAgeSeconds,
  );
  metrics.addMetric("NotificationsPublished", MetricUnit.Count, published);
  logger.info("sweep done", {
    published,
    changeSets,
    failed: result.failed.length,
    oldestPendingAgeSeconds,
  });
  metrics.addMetric("PublishSweepFailures", MetricUnit.Count, result.failed.length > 0 ? 1 : 0);
  // 3.
  if (result.failed.length > 0) {
    const error = new PublishSweepError(result.failed);
    logger.error("sweep left change sets unpublished", {
      changeSets: result.failed.map((f) => ({
        changeSetId: f.changeSetId,
        subjectKey: f.subjectKey,
      })),
      error,
    });
    throw error;
  }
  return { published, changeSets, oldestPendingAgeSeconds };
}
