/** Where a history query starts or ends, for the sort keys of history items (pure). */

/** An ISO instant, or the start/end of a `YYYY-MM-DD` day, as a sortable ISO string. */
export function historyInstant(value: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${value}T${end ? "23:59:59.999" : "00:00:00.000"}Z`;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`${JSON.stringify(value)} is not an ISO date`);
  return new Date(time).toISOString();
}
