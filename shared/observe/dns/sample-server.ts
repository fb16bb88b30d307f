import type { ResolverAnswer } from "#shared/domain/observation";
import type { ResolveOptions } from "#shared/observe/dns/resolve-options";
import {
  type DnsResolver,
  deadlineAnswer,
  mergeSamples,
  RETRYABLE_OUTCOMES,
  RUN_DEADLINE,
} from "#shared/observe/dns/resolver";

export interface Timing {
  /** Epoch ms: no query is asked after it. */
  deadline: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** One hostname at one resolver. */
export interface SampleTarget {
  hostname: string;
  server: string;
}

type Options = Pick<ResolveOptions, "samples" | "retries" | "retryBackoffMs" | "concurrency">;

/** A lookup to ask: the first (with the CNAME chain), a retry of it, or one more sample. */
type Job =
  | { state: TargetState; kind: "first" }
  | { state: TargetState; kind: "retry"; retry: number }
  | { state: TargetState; kind: "sample"; slot: number };

interface TargetState {
  index: number;
  target: SampleTarget;
  first?: ResolverAnswer;
  /** Retries asked so far. */
  retries: number;
  /** The further samples, by the order they were asked in. */
  more: (ResolverAnswer | undefined)[];
  pending: number;
}

/**
 * Every target sampled: a first lookup (with the CNAME chain, retried with backoff while it
 * fails transiently), then, if it answered, `samples - 1` more to catch the rest of a rotation;
 * `onAnswer` gets each target's merged answer (`mergeSamples`) as soon as it has it.
 *
 * `concurrency` workers each ask one lookup at a time: the further samples and retries of
 * targets already begun go before the next target's first lookup, and a target waiting out its
 * backoff holds no worker. (One task per target through a limiter cost 0.25 s more of the DNS
 * phase at 10,000 hostnames against NSD, isolated: 2.3-2.4 s against 2.0-2.2 s.)
 */
export async function sampleAll(
  resolver: DnsResolver,
  targets: readonly SampleTarget[],
  options: Options,
  timing: Timing,
  onAnswer: (index: number, answer: ResolverAnswer) => void,
): Promise<void> {
  const urgent: Job[] = [];
  let nextFirst = 0;
  let asking = 0;
  let sleeping = 0;
  let waiting: (() => void)[] = [];
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resume of woken) resume();
  };
  const take = (): Job | undefined => {
    const job = urgent.pop();
    if (job !== undefined || nextFirst >= targets.length) return job;
    const index = nextFirst++;
    const target = targets[index] as SampleTarget;
    return { kind: "first", state: { index, target, retries: 0, more: [], pending: 0 } };
  };
  const next: Scheduler = {
    push: (job) => {
      urgent.push(job);
      wake();
    },
    later: (ms, job) => {
      sleeping++;
      void timing.sleep(ms).then(() => {
        sleeping--;
        next.push(job);
      });
    },
    done: (state, answer) => onAnswer(state.index, answer),
  };
  const worker = async () => {
    for (;;) {
      const job = take();
      if (job === undefined) {
        if (asking === 0 && sleeping === 0) return wake();
        await new Promise<void>((resume) => waiting.push(resume));
        continue;
      }
      asking++;
      const answer = await ask(resolver, job.state.target, job.kind !== "sample", timing);
      asking--;
      settle(job, answer, options, timing, next);
      if (asking === 0 && sleeping === 0 && urgent.length === 0) wake();
    }
  };
  const workers = Math.min(options.concurrency, targets.length);
  await Promise.all(Array.from({ length: workers }, worker));
}

interface Scheduler {
  push(job: Job): void;
  later(ms: number, job: Job): void;
  done(state: TargetState, answer: ResolverAnswer): void;
}

/** What a lookup's answer leads to: a retry, the further samples, or the target's answer. */
function settle(
  job: Job,
  answer: ResolverAnswer,
  options: Options,
  timing: Timing,
  next: Scheduler,
): void {
  const { state } = job;
  if (job.kind === "sample") {
    state.more[job.slot] = answer;
    if (--state.pending > 0) return;
    const more = state.more.filter(
      (sample): sample is ResolverAnswer => sample !== undefined && sample.detail !== RUN_DEADLINE,
    );
    next.done(state, mergeSamples([state.first as ResolverAnswer, ...more]));
    return;
  }
  const first = job.kind === "first" ? answer : retried(state.first, answer, job.retry);
  state.first = first;
  const retry = state.retries + 1;
  if (
    retry <= options.retries &&
    RETRYABLE_OUTCOMES.includes(first.outcome) &&
    first.detail !== RUN_DEADLINE
  ) {
    const wait = options.retryBackoffMs * 2 ** (retry - 1);
    if (timing.clock() + wait < timing.deadline) {
      state.retries = retry;
      next.later(wait, { state, kind: "retry", retry });
      return;
    }
  }
  if (first.outcome !== "answered" || options.samples === 1) {
    next.done(state, mergeSamples([first]));
    return;
  }
  state.pending = options.samples - 1;
  for (let slot = state.pending - 1; slot >= 0; slot--) next.push({ state, kind: "sample", slot });
}

/** The first lookup after a retry: the retry's answer, or the earlier one past the deadline. */
function retried(
  before: ResolverAnswer | undefined,
  again: ResolverAnswer,
  retry: number,
): ResolverAnswer {
  if (again.detail === RUN_DEADLINE && before !== undefined) return before;
  return {
    ...again,
    ...(again.detail ? { detail: `${again.detail} (after ${retry + 1} attempts)` } : {}),
  };
}

/** One lookup; past the deadline, a deadline answer; a throwing adapter, a failed lookup. */
async function ask(
  resolver: DnsResolver,
  target: SampleTarget,
  walkCnames: boolean,
  timing: Timing,
): Promise<ResolverAnswer> {
  if (timing.clock() >= timing.deadline) return deadlineAnswer(target.server);
  try {
    return await resolver.lookup({ ...target, walkCnames, deadline: timing.deadline });
  } catch (error) {
    // The port never throws; if an adapter does, it is a failed lookup, not a failed run.
    return {
      ...deadlineAnswer(target.server),
      outcome: "error",
      families: { a: "error", aaaa: "error" },
      detail: `lookup threw: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
