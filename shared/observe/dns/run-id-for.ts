/**
 * The run id of a scheduled run: the schedule time truncated to the interval, so every
 * delivery of the same scheduled event (at least once) gets the same id.
 */
export function runIdFor(scheduledTime: Date, intervalMinutes: number): string {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1) {
    throw new RangeError(`intervalMinutes must be a positive integer, got ${intervalMinutes}`);
  }
  const time = scheduledTime.getTime();
  if (Number.isNaN(time)) throw new RangeError("scheduledTime is not a valid date");
  const interval = intervalMinutes * 60_000;
  return `${new Date(Math.floor(time / interval) * interval).toISOString().slice(0, 16)}Z`;
}
