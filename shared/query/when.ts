/**
 * A point in time as an auditor gives it: a whole UTC day (`YYYY-MM-DD`) or an ISO 8601 instant
 * with its zone. The stores take either (a date means the end of that UTC day).
 */
export interface When {
  /** What to pass to the store: the date as given, or the instant normalised to UTC. */
  value: string;
  /** Whether it is a whole UTC day. */
  day: boolean;
  /** The first and the last millisecond it covers (equal for an instant). */
  start: string;
  end: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function isCalendarDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
  );
}

/** Parses `YYYY-MM-DD` or an ISO 8601 instant with its zone; null when it is neither. */
export function parseWhen(text: string): When | null {
  const date = DATE.exec(text);
  if (date !== null) {
    const [, year = "", month = "", day = ""] = date;
    if (!isCalendarDate(year, month, day)) return null;
    return {
      value: text,
      day: true,
      start: `${text}T00:00:00.000Z`,
      end: `${text}T23:59:59.999Z`,
    };
  }
  const instant = INSTANT.exec(text);
  if (instant === null) return null;
  const [, year = "", month = "", day = ""] = instant;
  const time = Date.parse(text);
  if (!isCalendarDate(year, month, day) || Number.isNaN(time)) return null;
  const iso = new Date(time).toISOString();
  return { value: iso, day: false, start: iso, end: iso };
}
