import { EXIT_SIGINT, EXIT_SIGTERM } from "#cli/exit-codes";
import { describeError } from "#cli/options";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import type { FeedFetcher } from "#shared/observe/feeds/ports";

/**
 * Ctrl-C (SIGINT) and SIGTERM for the commands that write to the store (detect, resolve, feeds).
 *
 * At the first signal:
 * 1. the command's work is abandoned at once (`race` rejects with `InterruptedError`);
 * 2. no new lookup or download starts, and none that was under way is recorded (`held`): a
 *    cancelled lookup must not be saved as a failure;
 * 3. the command closes its store and resolver as on any exit, prints `interruptedLine`, and
 *    returns 130 (SIGINT) or 143 (SIGTERM).
 * Whatever was saved before the signal is kept: the embedded bucket is written through and
 * DynamoDB writes are single items, and the next run judges what this one left unjudged. A second
 * signal exits at once, and so does a clean-up that outlasts `graceMs`: nothing can hang. A
 * command may instead let work that must not be cut short finish (`detect` past observation):
 * `complete(code)` then makes a grace exit use the command's own code.
 */
export type InterruptSignal = "SIGINT" | "SIGTERM";

export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
  }

  get exitCode(): number {
    return exitCodeOf(this.signal);
  }
}

export interface Interruption {
  /** The first signal received, or null. */
  readonly signal: InterruptSignal | null;
  /** `work`'s outcome, or `InterruptedError` as soon as a signal comes, whichever is first. */
  race<T>(work: Promise<T>): Promise<T>;
  /** Throws `InterruptedError` when a signal has come (between steps that are not raced). */
  throwIfInterrupted(): void;
  /**
   * Runs `work` unless a signal has come; its outcome is passed on only if it arrives before
   * one. Otherwise the returned promise never settles: the abandoned work waits for nothing.
   */
  held<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The command's exit code is known (its work is done, only clean-up is left): a grace exit
   * armed by a signal exits with `code` instead of 130/143.
   */
  complete(code: number): void;
  /** Stops listening, and disarms a grace exit: the command has returned. */
  dispose(): void;
}

/** Where signals come from and how the process ends; tests pass their own. */
export interface InterruptOptions {
  signals?: Pick<NodeJS.Process, "on" | "off">;
  exit?: (code: number) => void;
  /** Where an unexpected error after a signal is reported (default: stderr). */
  report?: (text: string) => void;
  /** After the first signal, exit anyway once this long has passed. */
  graceMs?: number;
}

export const DEFAULT_INTERRUPT_GRACE_MS = 5_000;
const SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM"];

export function exitCodeOf(signal: InterruptSignal): number {
  return signal === "SIGINT" ? EXIT_SIGINT : EXIT_SIGTERM;
}

/**
 * The line `detect` prints on stderr when a signal came once observation was done: the run was
 * completed (committed, published, reported) rather than abandoned half-way.
 */
export function completedAfterSignalLine(command: string, signal: InterruptSignal): string {
  return `driftwatch ${command}: ${signal} came after observation was done; the run was completed\n`;
}

/** The line a command prints on stderr when a signal stopped it. */
export function interruptedLine(command: string): string {
  return `driftwatch ${command}: interrupted; what was saved is kept and the next run judges it\n`;
}

/** Listens for SIGINT and SIGTERM until `dispose()`. */
export function watchInterrupts(options: InterruptOptions = {}): Interruption {
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const report = options.report ?? ((text: string) => process.stderr.write(text));
  const graceMs = options.graceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
  let received: InterruptSignal | null = null;
  let completedWith: number | null = null;
  let graceExit: NodeJS.Timeout | undefined;
  let reject: (error: InterruptedError) => void = () => {};
  const interrupted = new Promise<never>((_, rejectWith) => {
    reject = rejectWith;
  });
  interrupted.catch(() => {});

  const listeners = SIGNALS.map((signal) => {
    const listener = () => {
      if (received !== null) {
        exit(exitCodeOf(signal));
        return;
      }
      received = signal;
      reject(new InterruptedError(signal));
      // The abandoned work can still fail once its store is closed under it (dynalite throws
      // "Database is closed" from a callback, after the command has said it was interrupted):
      // that is the abandonment itself, not a new error, and ends the process quietly. Any
      // other error is said on stderr before the same exit. Kept after dispose(), for the same
      // reason.
      const abandoned = (error: unknown) => {
        if (!isClosedStoreError(error)) {
          report(`driftwatch: error after ${signal}: ${describeError(error)}\n`);
        }
        exit(completedWith ?? exitCodeOf(signal));
      };
      signals.on("uncaughtException", abandoned);
      signals.on("unhandledRejection", abandoned);
      // Unref'd: it ends the process only if something would otherwise keep it alive.
      graceExit = setTimeout(() => exit(completedWith ?? exitCodeOf(signal)), graceMs).unref();
    };
    signals.on(signal, listener);
    return [signal, listener] as const;
  });

  return {
    get signal() {
      return received;
    },
    race(work) {
      // Once abandoned, the work's own failure (e.g. the closed store) is nobody's concern.
      work.catch(() => {});
      return Promise.race([work, interrupted]);
    },
    throwIfInterrupted() {
      if (received !== null) throw new InterruptedError(received);
    },
    held(work) {
      if (received !== null) return new Promise(() => {});
      return new Promise((resolve, rejectWith) => {
        work().then(
          (value) => {
            if (received === null) resolve(value);
          },
          (error: unknown) => {
            if (received === null) rejectWith(error);
          },
        );
      });
    },
    complete(code) {
      completedWith = code;
    },
    dispose() {
      for (const [signal, listener] of listeners) signals.off(signal, listener);
      clearTimeout(graceExit);
    },
  };
}

/** For callers that leave signals to Node (tests, other programs): never interrupted. */
export const NEVER_INTERRUPTED: Interruption = {
  signal: null,
  race: (work) => work,
  throwIfInterrupted() {},
  held: (work) => work(),
  complete() {},
  dispose() {},
};

/** The resolver, its lookups `held`: none starts, and none is answered, after a signal. */
export function heldResolver(resolver: DnsResolver, interruption: Interruption): DnsResolver {
  return {
    servers: resolver.servers,
    lookup: (request) => interruption.held(() => resolver.lookup(request)),
    close: () => resolver.close(),
  };
}

/** The feed fetcher, its downloads `held`. */
export function heldFetcher(fetcher: FeedFetcher, interruption: Interruption): FeedFetcher {
  return { fetch: (request) => interruption.held(() => fetcher.fetch(request)) };
}

/**
 * A command action's body with SIGINT and SIGTERM watched for as long as it runs: the process
 * exit code is what `run` returns (130/143 when a signal stopped it).
 */
export async function runWatchingInterrupts(
  run: (interruption: Interruption) => Promise<number>,
): Promise<void> {
  const interruption = watchInterrupts();
  try {
    process.exitCode = await run(interruption);
  } finally {
    interruption.dispose();
  }
}

/** dynalite / LevelDB refusing work because the store was closed under it. */
function isClosedStoreError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as NodeJS.ErrnoException;
  return code === "LEVEL_DATABASE_NOT_OPEN" || /Database is (closed|not open)/i.test(error.message);
}
