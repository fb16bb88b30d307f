import { highestSeverity, type Severity } from "#shared/compare/drift-event";
import type { ChangeSetRecord, EventQueries, NotificationDelivery } from "#shared/notify/ports";

/** One published change set as an auditor reads it: what subscribers were told, and when. */
export interface PublishedNotification {
  changeSetId: string;
  subjectKey: string;
  group: string | null;
  sequence: number;
  runId: string;
  committedAt: string;
  publishedAt: string;
  /** The highest severity of its events. */
  severity: Severity;
  eventIds: string[];
  eventTypes: string[];
  /**
   * The SNS messages it went out as (one, or one per part). Empty when it was published before
   * driftwatch recorded them, or when it owned no event and nothing was sent.
   */
  messages: NotificationDelivery[];
}

export interface NotificationsDeps {
  events: Pick<EventQueries, "publishedChangeSets">;
}

export interface NotificationsInput {
  /** Only change sets published at or after this ISO instant. */
  since?: string;
  /** The opaque cursor of the previous page. */
  cursor?: string;
  /** At most this many change sets in the page. */
  limit: number;
}

export interface NotificationsPage {
  /** In the order they were published, oldest first. */
  notifications: PublishedNotification[];
  /** Pass it back for the next page; null after the last. */
  cursor: string | null;
}

/**
 * Every change set published (`driftwatch notifications`), one page at a time:
 * 1. Read one page of the published change sets since `since`, in publishing order.
 * 2. Answer each with its SNS messages (topic, message id, subject, severity, events) and the
 *    cursor of the next page.
 */
export async function queryNotifications(
  deps: NotificationsDeps,
  input: NotificationsInput,
): Promise<NotificationsPage> {
  const page = await deps.events.publishedChangeSets({
    ...(input.since !== undefined ? { since: input.since } : {}),
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
    limit: input.limit,
  });
  return { notifications: page.changeSets.map(publishedNotification), cursor: page.cursor };
}

export function publishedNotification(changeSet: ChangeSetRecord): PublishedNotification {
  return {
    changeSetId: changeSet.changeSetId,
    subjectKey: changeSet.subject.key,
    group: changeSet.group,
    sequence: changeSet.sequence,
    runId: changeSet.runId,
    committedAt: changeSet.createdAt,
    publishedAt: changeSet.publishedAt ?? changeSet.createdAt,
    severity: highestSeverity(changeSet.events.map((event) => event.severity)),
    eventIds: changeSet.events.map((event) => event.eventId),
    eventTypes: [...new Set(changeSet.events.map((event) => event.type))],
    messages: [...(changeSet.deliveries ?? [])].sort((a, b) => a.part - b.part),
  };
}
