import type { Logger } from "@aws-lambda-powertools/logger";
import { feedRunIdFor } from "#shared/detect/judge-feed-ingest";
import {
  type IpSpaceChangedNotification,
  notificationFromMessage,
} from "#shared/observe/feeds/schema";
import { compareSyncTokens } from "#shared/observe/feeds/snapshot";
import { isRecordBatch, parseEvent, ScheduledEvent, scheduledTime } from "./events";
import { SnsEvent } from "./ingest-feeds-event";

export interface IngestTrigger {
  trigger: "notification" | "schedule";
  runId: string;
  notification?: IpSpaceChangedNotification;
}

/**
 * What an ingest-feeds event asks for: the notification it carries, if any, and the run id.
 * Deterministic per trigger, so a redelivered notification or a retried schedule is the same run
 * (see feedRunIdFor): a retry after a partial commit finishes the same change sets. A malformed
 * event is rejected with `InvalidEventError`.
 */
export function ingestTrigger(
  raw: unknown,
  now: () => Date,
  logger: Pick<Logger, "error">,
): IngestTrigger {
  if (isRecordBatch(raw)) {
    const notification = notificationFromSnsEvent(parseEvent(SnsEvent, raw, "sns", logger));
    const runId = feedRunIdFor({ syncToken: notification.syncToken });
    return { trigger: "notification", runId, notification };
  }
  const event = parseEvent(ScheduledEvent, raw, "schedule", logger);
  return {
    trigger: "schedule",
    runId: feedRunIdFor({ scheduledTime: scheduledTime(event, now(), logger) }),
  };
}

/** The newest notification of an SNS event (SNS delivers one record per invocation today). */
function notificationFromSnsEvent(event: SnsEvent): IpSpaceChangedNotification {
  const notifications = event.Records.map((record) => notificationFromMessage(record.Sns.Message));
  return notifications.reduce((newest, next) =>
    compareSyncTokens(next.syncToken, newest.syncToken) > 0 ? next : newest,
  );
}
