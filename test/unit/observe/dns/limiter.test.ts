import { describe, expect, it } from "vitest";
import { createLimiter } from "#shared/observe/dns/limiter";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("createLimiter", () => {
  it("runs at most `concurrency` tasks at once and starts the waiting ones first in, first out", async () => {
    const limit = createLimiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    // More than the queue's compaction threshold, so the head moves past it several times.
    const tasks = Array.from({ length: 5000 }, (_, i) =>
      limit(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        if (i % 7 === 0) await tick();
        running--;
        return i * 2;
      }),
    );
    const results = await Promise.all(tasks);
    expect(results).toEqual(Array.from({ length: 5000 }, (_, i) => i * 2));
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("hands the slot of a failed task to the next one", async () => {
    const limit = createLimiter(1);
    const failed = limit(async () => {
      throw new Error("lookup failed");
    });
    const next = limit(async () => "next ran");
    await expect(failed).rejects.toThrow("lookup failed");
    await expect(next).resolves.toBe("next ran");
    // Nothing is left holding the slot: a later task runs at once.
    await expect(limit(async () => "later")).resolves.toBe("later");
  });

  it("refuses a concurrency that is not a positive whole number, naming it", () => {
    expect(() => createLimiter(0)).toThrow("concurrency must be a positive integer, got 0");
    expect(() => createLimiter(1.5)).toThrow("got 1.5");
  });
});
