import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EXIT_SIGINT, EXIT_SIGTERM } from "#cli/exit-codes";
import { InterruptedError, interruptedLine, watchInterrupts } from "#cli/interrupt";

/** A promise's state after everything already queued has run. */
async function stateOf(promise: Promise<unknown>): Promise<"pending" | "settled"> {
  const pending = Symbol("pending");
  await new Promise((resolve) => setImmediate(resolve));
  const winner = await Promise.race([
    promise.then(
      () => null,
      () => null,
    ),
    Promise.resolve(pending),
  ]);
  return winner === pending ? "pending" : "settled";
}

describe("watchInterrupts", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const watched = (graceMs = 60_000) => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const interruption = watchInterrupts({
      signals: signals as unknown as Pick<NodeJS.Process, "on" | "off">,
      exit: (code) => exits.push(code),
      graceMs,
    });
    return { signals, exits, interruption };
  };

  it.each([
    ["SIGINT", EXIT_SIGINT],
    ["SIGTERM", EXIT_SIGTERM],
  ] as const)("%s abandons the raced work at once with exit code %i", async (signal, code) => {
    // Prepare
    const { signals, interruption } = watched();
    const work = new Promise<string>(() => {});

    // Act
    const racing = interruption.race(work);
    signals.emit(signal);

    // Assess
    const error = await racing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(code);
    expect(interruption.signal).toBe(signal);
    interruption.dispose();
  });

  it("passes the work's result on when no signal came", async () => {
    const { interruption } = watched();

    await expect(interruption.race(Promise.resolve(42))).resolves.toBe(42);
    await expect(interruption.held(async () => "answer")).resolves.toBe("answer");
    expect(() => interruption.throwIfInterrupted()).not.toThrow();
    interruption.dispose();
  });

  it("holds a lookup under way at the signal, and does not start one asked after it", async () => {
    // Prepare: a lookup under way, which will then fail as a cancelled query does
    const { signals, interruption } = watched();
    let cancel: (error: Error) => void = () => {};
    const underWay = interruption.held(() => new Promise<string>((_, reject) => (cancel = reject)));
    let started = 0;

    // Act
    signals.emit("SIGINT");
    cancel(new Error("ECANCELLED"));
    const askedAfter = interruption.held(async () => {
      started++;
      return "answer";
    });

    // Assess
    expect(await stateOf(underWay)).toBe("pending");
    expect(await stateOf(askedAfter)).toBe("pending");
    expect(started).toBe(0);
    expect(() => interruption.throwIfInterrupted()).toThrow(InterruptedError);
    interruption.dispose();
  });

  it("exits at once on a second signal, with that signal's code", () => {
    // Prepare
    const { signals, exits, interruption } = watched();

    // Act
    signals.emit("SIGINT");
    const afterFirst = [...exits];
    signals.emit("SIGTERM");

    // Assess
    expect(afterFirst).toEqual([]);
    expect(exits).toEqual([EXIT_SIGTERM]);
    interruption.dispose();
  });

  it("exits once the grace period after the first signal is over", () => {
    // Prepare
    vi.useFakeTimers();
    const { signals, exits, interruption } = watched(5_000);

    // Act
    signals.emit("SIGINT");
    vi.advanceTimersByTime(4_999);
    const beforeGrace = [...exits];
    vi.advanceTimersByTime(1);

    // Assess
    expect(beforeGrace).toEqual([]);
    expect(exits).toEqual([EXIT_SIGINT]);
    interruption.dispose();
  });

  it("does not exit after the grace period once disposed: the command returned its own code", () => {
    // Prepare: a signal after the work was done, then a clean-up that outlasts the grace period
    vi.useFakeTimers();
    const { signals, exits, interruption } = watched(5_000);
    signals.emit("SIGTERM");

    // Act
    interruption.dispose();
    vi.advanceTimersByTime(60_000);

    // Assess
    expect(exits).toEqual([]);
  });

  it("exits with the command's own code when the grace period ends after it completed", () => {
    // Prepare
    vi.useFakeTimers();
    const { signals, exits, interruption } = watched(5_000);
    signals.emit("SIGINT");

    // Act: the run was let finish, its code is known, and its clean-up hangs
    interruption.complete(2);
    vi.advanceTimersByTime(5_000);

    // Assess
    expect(exits).toEqual([2]);
    interruption.dispose();
  });

  it("stops listening when disposed", () => {
    // Prepare
    const { signals, exits, interruption } = watched();

    // Act
    interruption.dispose();

    // Assess
    expect(signals.listenerCount("SIGINT")).toBe(0);
    expect(signals.listenerCount("SIGTERM")).toBe(0);
    expect(interruption.signal).toBeNull();
    expect(exits).toEqual([]);
  });

  it("words the line a command prints", () => {
    expect(interruptedLine("detect")).toBe(
      "driftwatch detect: interrupted; what was saved is kept and the next run judges it\n",
    );
  });

  it("exits with the signal's code, not a crash, when the abandoned work fails after the store closed", () => {
    // Prepare
    const { signals, exits, interruption } = watched();
    const before = signals.listenerCount("uncaughtException");

    // Act
    signals.emit("SIGINT");
    interruption.dispose();
    signals.emit("uncaughtException", new Error("Database is closed"));

    // Assess
    expect(before).toBe(0);
    expect(exits).toEqual([EXIT_SIGINT]);
  });

  it("says an unexpected error after a signal on stderr, then exits with the signal's code", () => {
    // Prepare
    const signals = new EventEmitter();
    const exits: number[] = [];
    const reported: string[] = [];
    const interruption = watchInterrupts({
      signals: signals as unknown as Pick<NodeJS.Process, "on" | "off">,
      exit: (code) => exits.push(code),
      report: (text) => reported.push(text),
      graceMs: 60_000,
    });

    // Act
    signals.emit("SIGTERM");
    signals.emit("uncaughtException", new Error("Database is closed"));
    signals.emit("unhandledRejection", new TypeError("commit went wrong"));
    interruption.dispose();

    // Assess
    expect(exits).toEqual([EXIT_SIGTERM, EXIT_SIGTERM]);
    expect(reported).toEqual(["driftwatch: error after SIGTERM: commit went wrong\n"]);
  });

  it("leaves uncaught errors alone while no signal came", () => {
    // Prepare
    const { signals, interruption } = watched();

    // Act
    interruption.dispose();

    // Assess
    expect(signals.listenerCount("uncaughtException")).toBe(0);
    expect(signals.listenerCount("unhandledRejection")).toBe(0);
  });
});
