import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { isRecordBatch, parseEvent, ScheduledEvent } from "#functions/commons/events";
import {
  type SyncPrefixListsDepsForHandler,
  syncPrefixListsDepsFromEnv,
} from "#functions/commons/sync-prefix-lists-deps";
import { NotificationOfBody, SqsEvent } from "#functions/commons/sync-prefix-lists-event";
import { reconcilePrefixLists } from "#shared/notify/prefix-lists/reconcile";
import {
  type GroupSyncReport,
  syncGroupPrefixLists,
} from "#shared/notify/prefix-lists/sync-prefix-lists";

export interface SyncPrefixListsResponse {
  batchItemFailures: { itemIdentifier: string }[];
  /** What was applied (or, dry run, would be), per group the batch named. */
  reports: GroupSyncReport[];
}

/** A scheduled reconcile left groups unsynced: the invocation fails (alarmed, retried). */
export class PrefixListReconcileError extends Error {
  override readonly name = "PrefixListReconcileError";
  constructor(readonly groups: string[]) {
    super(`prefix lists not reconciled for group(s) ${groups.join(", ")}`);
  }
}

/** Statuses that need a person: nothing was applied to that list. */
const REFUSED = new Set(["refused", "ambiguous", "no-prefix-list"]);

/**
 * Keeps the AWS managed prefix lists of each group a notification names in step with the
 * group's allowlist (syncGroupPrefixLists), once per group per batch. A record whose body is not
 * a driftwatch notification, or whose group could not be synced (throttled or contended past the
 * retries, an unreadable allowlist), is a `batchItemFailure`: SQS redelivers it, then moves it
 * to the dead-letter queue. A notification without a group (a document change) is done.
 *
 * On its schedule it reconciles every group a list of this stage is tagged for
 * (`reconcilePrefixLists`), so a list converges even when no notification names its group;
 * groups that could not be synced fail the invocation, after the others were synced.
 */
export function createSyncPrefixListsHandler(deps: SyncPrefixListsDepsForHandler) {
  const { logger, metrics } = deps;
  return middy(async (rawEvent: unknown): Promise<SyncPrefixListsResponse> => {
    if (!isRecordBatch(rawEvent)) {
      parseEvent(ScheduledEvent, rawEvent, "schedule", logger);
      return reconcile(deps);
    }
    const event = parseEvent(SqsEvent, rawEvent, "sqs", logger);
    const failures: string[] = [];
    const byGroup = new Map<string, string[]>();
    for (const record of event.Records) {
      const body = NotificationOfBody.safeParse(record.body);
      if (!body.success) {
        logger.error("not a driftwatch notification", {
          messageId: record.messageId,
          problem: body.error.issues[0]?.message ?? "invalid",
        });
        failures.push(record.messageId);
      } else if (body.data.group !== null) {
        byGroup.set(body.data.group, [...(byGroup.get(body.data.group) ?? []), record.messageId]);
      }
    }
    const reports: GroupSyncReport[] = [];
    for (const [group, messageIds] of byGroup) {
      try {
        const report = await syncGroupPrefixLists(deps, group, deps.options);
        reports.push(report);
        record(deps, report);
      } catch (error) {
        logger.error("prefix lists not synced", { group, messageIds, error });
        failures.push(...messageIds);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })), reports };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

async function reconcile(deps: SyncPrefixListsDepsForHandler): Promise<SyncPrefixListsResponse> {
  const { logger } = deps;
  const { reports, failures } = await reconcilePrefixLists(deps, deps.options);
  for (const report of reports) record(deps, report);
  for (const { group, error } of failures) {
    logger.error("prefix lists not synced", { group, reconcile: true, error });
  }
  logger.info("prefix lists reconciled", {
    groups: reports.length + failures.length,
    failed: failures.length,
  });
  if (failures.length > 0) throw new PrefixListReconcileError(failures.map((f) => f.group));
  return { batchItemFailures: [], reports };
}

function record(deps: SyncPrefixListsDepsForHandler, report: GroupSyncReport): void {
  const { logger, metrics } = deps;
  if (report.allowlist === "missing") {
    logger.warn("group has no allowlist file: its prefix lists are left as they are", {
      group: report.group,
    });
  }
  for (const list of report.lists) {
    const fields = { ...list, dryRun: report.dryRun };
    if (REFUSED.has(list.status)) logger.error("prefix list not synced", fields);
    else logger.info("prefix list synced", fields);
    if (list.status === "applied") {
      metrics.addMetric("PrefixListEntriesAdded", MetricUnit.Count, list.added.length);
      metrics.addMetric("PrefixListEntriesRemoved", MetricUnit.Count, list.removed.length);
    }
  }
  const refused = report.lists.filter((l) => REFUSED.has(l.status)).length;
  metrics.addMetric("PrefixListSyncRefusals", MetricUnit.Count, refused);
}

let coldStart: ReturnType<typeof createSyncPrefixListsHandler> | undefined;

/** The Lambda entry point; reads its configuration on the first invocation of a cold start. */
export const handler = (event: unknown, context: Context) => {
  coldStart ??= createSyncPrefixListsHandler(syncPrefixListsDepsFromEnv(process.env));
  return coldStart(event, context);
};
