/** A stream record of a new change-event item: its id in the batch and the item's subject. */
export interface ChangeEventInsert {
  recordId: string;
  subjectKey: string;
}

/** The record ids of each subject, subjects in order of their first record. */
export function recordsBySubject(inserts: readonly ChangeEventInsert[]): Map<string, string[]> {
  const bySubject = new Map<string, string[]>();
  for (const { recordId, subjectKey } of inserts) {
    const list = bySubject.get(subjectKey) ?? [];
    list.push(recordId);
    bySubject.set(subjectKey, list);
  }
  return bySubject;
}
