/**
 * Bounds how many tasks run at once (c-ares degrades sharply with too many queries in flight).
 * First in, first out; a finishing task hands its slot straight to the next one waiting.
 *
 * The waiting tasks are a queue read from a moving head, not `Array.shift`: a run queues every
 * hostname's lookup at once (tens of thousands), and shifting an array that long moves all of it
 * at each start (measured: 7% of the DNS phase's CPU at 10,000 hostnames).
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** The consumed head of the queue is dropped once it is this long and half of the array. */
const COMPACT_AT = 1024;

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let running = 0;
  let waiting: (() => void)[] = [];
  let head = 0;
  const takeNext = (): (() => void) | undefined => {
    if (head === waiting.length) return undefined;
    const next = waiting[head++];
    if (head >= COMPACT_AT && head * 2 >= waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
    return next;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < concurrency) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = takeNext();
      if (next !== undefined) next();
      else running--;
    }
  };
}
