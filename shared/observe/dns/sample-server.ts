import type { ResolverAnswer } from "#shared/domain/observation";
import type { Limiter } from "#shared/observe/dns/limiter";
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

/**
 * One hostname at one resolver: a first lookup (with the CNAME chain, retried when it fails
 * transiently), then, if it answered, more samples to catch the rest of a rotation.
 */
export async function sampleServer(
  resolver: DnsResolver,
  limit: Limiter,
  target: { hostname: string; server: string },
  options: Pick<ResolveOptions, "samples" | "retries" | "retryBackoffMs">,
  timing: Timing,
): Promise<ResolverAnswer> {
  const ask = (walkCnames: boolean) =>
    limit(async (): Promise<ResolverAnswer> => {
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
    });
  let first = await ask(true);
  for (let retry = 1; retry <= options.retries; retry++) {
    if (!RETRYABLE_OUTCOMES.includes(first.outcome) || first.detail === RUN_DEADLINE) break;
    const wait = options.retryBackoffMs * 2 ** (retry - 1);
    if (timing.clock() + wait >= timing.deadline) break;
    await timing.sleep(wait);
    const again = await ask(true);
    first =
      again.detail === RUN_DEADLINE
        ? first
        : {
            ...again,
            ...(again.detail ? { detail: `${again.detail} (after ${retry + 1} attempts)` } : {}),
          };
  }
  if (first.outcome !== "answered" || options.samples === 1) return mergeSamples([first]);
  const more = await Promise.all(Array.from({ length: options.samples - 1 }, () => ask(false)));
  return mergeSamples([first, ...more.filter((sample) => sample.detail !== RUN_DEADLINE)]);
}
