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

/**
 * Every published change set since `since`, page by page in publishing order (an async
 * iterator: memory holds one page).
 */
export async function* notificationPages(
  deps: NotificationsDeps,
  input: { since?: string; pageSize?: number },
): AsyncGenerator<PublishedNotification[]> {
  let cursor: string | undefined;
  do {
    const page = await queryNotifications(deps, {
      ...(input.since !== undefined ? { since: input.since } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
      limit: input.pageSize ?? 100,
    });
    yield page.notifications;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}

/** One SNS message of a published change set: a row of `driftwatch notifications`. */
export interface NotificationMessage {
  /** When SNS accepted it (the change set's publication when no message was recorded). */
  sentAt: string;
  changeSetId: string;
  subjectKey: string;
  group: string | null;
  sequence: number;
  runId: string;
  part: number | null;
  topicArn: string | null;
  messageId: string | null;
  /** The e-mail subject it carried. */
  subject: string | null;
  severity: Severity;
  eventIds: string[];
}

/**
 * The messages a published change set went out as, one row each; a change set published before
 * the messages were recorded is one row without topic, message id and subject.
 */
export function notificationMessages(notification: PublishedNotification): NotificationMessage[] {
  const base = {
    changeSetId: notification.changeSetId,
    subjectKey: notification.subjectKey,
    group: notification.group,
    sequence: notification.sequence,
    runId: notification.runId,
  };
  if (notification.messages.length === 0) {
    return [
      {
        ...base,
        sentAt: notification.publishedAt,
        part: null,
        topicArn: null,
        messageId: null,
        subject: null,
        severity: notification.severity,
        eventIds: notification.eventIds,
      },
    ];
  }
  return notification.messages.map((message) => ({
    ...base,
    sentAt: message.sentAt,
    part: message.part,
    topicArn: message.topicArn === "" ? null : message.topicArn,
    messageId: message.messageId,
    subject: message.subject,
    severity: message.severity,
    eventIds: message.eventIds,
  }));
}
