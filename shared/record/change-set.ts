import type { DriftEvent, DriftSubject } from "#shared/compare/drift-event";
import { severityRank } from "#shared/compare/drift-event";
import { contentId } from "#shared/domain/canonical";

/**
 * A change set: the new events of one subject (endpoint, pool or feed in a group) in one run. It
 * is the unit of notification (one message, or numbered parts of one) and carries the subject's
 * next sequence number.
 */
export interface ChangeSet {
  /** sha256 of the subject and the sorted ids of its events: the same change, the same id. */
  changeSetId: string;
  subject: DriftSubject;
  group: string | null;
  /**
   * Increasing per subject (1, 2, 3, ...), assigned once at commit. May skip numbers: a change
   * set that lost all its events to a concurrent commit of the subject is never sent.
   */
  sequence: number;
  runId: string;
  catalogueId: string;
  /** When the change set was committed. */
  createdAt: string;
  /** Sorted: highest severity first, then type, then id. */
  events: DriftEvent[];
}

export function changeSetIdOf(subjectKey: string, eventIds: readonly string[]): string {
  return contentId({ v: 1, subject: subjectKey, events: [...eventIds].sort() });
}

/** Events grouped by subject key, each group in notification order; groups sorted by key. */
export function groupBySubject(events: readonly DriftEvent[]): Map<string, DriftEvent[]> {
  const groups = new Map<string, DriftEvent[]>();
  for (const event of events) {
    const list = groups.get(event.subject.key);
    if (list === undefined) groups.set(event.subject.key, [event]);
    else list.push(event);
  }
  for (const list of groups.values()) list.sort(compareEvents);
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function compareEvents(a: DriftEvent, b: DriftEvent): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
    (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
  );
}
