import type { Protocol } from "#shared/catalogue/schema";
import type {
  DriftEvent,
  DriftEventType,
  DriftSubject,
  Severity,
} from "#shared/compare/drift-event";

/**
 * The SNS contract: one JSON message per change set (or numbered parts of one), validated by
 * `schema/drift-notification.schema.json`. docs/notifications.md documents it for subscribers.
 */
export const NOTIFICATION_SCHEMA_VERSION = 1;

/** An event as carried in a message; `slice` when a large event is spread over parts. */
export type NotificationEvent = DriftEvent & {
  /** This part carries slice `index` (1-based) of `count` of the event's added/removed items. */
  slice?: { index: number; count: number };
};

export interface DriftNotification {
  schemaVersion: typeof NOTIFICATION_SCHEMA_VERSION;
  /** Deterministic id of this message: a consumer that saw it already can drop it. */
  eventId: string;
  changeSetId: string;
  /** 1-based; a change set too large for one SNS message is split into `partCount` parts. */
  part: number;
  partCount: number;
  /** Per subject, increasing, may skip numbers (all parts of a change set share it). */
  sequence: number;
  subject: DriftSubject;
  catalogueId: string;
  runId: string;
  /** When the change set was committed. */
  detectedAt: string;
  /** The highest severity of the events in this message. */
  severity: Severity;
  group: string | null;
  eventTypes: DriftEventType[];
  hostnames: string[];
  ports: number[];
  protocols: Protocol[];
  /** One line: what changed. */
  summary: string;
  /** The group's allowlist files in the bucket, already updated when the message is sent. */
  allowlist: { txt: string; json: string } | null;
  events: NotificationEvent[];
}

export interface NotificationAttributes {
  /** The catalogue the change set belongs to (endpoint ids are unique within one only). */
  catalogue: string;
  eventType: DriftEventType[];
  severity: Severity;
  group?: string;
  hostname: string[];
  port: number[];
  protocol: Protocol[];
}

/** One SNS publish: the JSON message, its e-mail rendering and its filter attributes. */
export interface OutgoingNotification {
  body: DriftNotification;
  emailSubject: string;
  emailText: string;
  attributes: NotificationAttributes;
}
