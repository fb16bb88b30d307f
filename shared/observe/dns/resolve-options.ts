import type { ExpectationPolicy } from "#shared/catalogue/schema";
import {
  DEFAULT_IMPLAUSIBLE_ABSENCE,
  type ImplausibleAbsenceOptions,
} from "#shared/observe/dns/implausible-absence";
import { DEFAULT_GRACE, type Grace } from "#shared/observe/dns/observation-window";
import { DEFAULT_SINKHOLE, type SinkholeOptions } from "#shared/observe/dns/sinkhole";

/** How a resolution run asks and what it believes (`resolveHostnames`). */
export interface ResolveOptions {
  /** Queries per name and resolver in a run; their answers are merged (round robin). */
  samples: number;
  /** Lookups in flight at once (each asks A and AAAA together). */
  concurrency: number;
  /** Extra attempts for a timeout, SERVFAIL or error, with exponential backoff. */
  retries: number;
  retryBackoffMs: number;
  /** Grace periods by policy. */
  grace: Record<ExpectationPolicy, Grace>;
  /** When a resolver's NODATA answers for most names are not trusted as absence. */
  implausibleAbsence: ImplausibleAbsenceOptions;
  /** When an address served for hostnames of many registered domains is a sinkhole. */
  sinkhole: SinkholeOptions;
}

export const DEFAULT_RESOLVE_OPTIONS: ResolveOptions = {
  samples: 3,
  concurrency: 16,
  retries: 1,
  retryBackoffMs: 100,
  grace: DEFAULT_GRACE,
  implausibleAbsence: DEFAULT_IMPLAUSIBLE_ABSENCE,
  sinkhole: DEFAULT_SINKHOLE,
};

/**
 * A run's options: `options` over the defaults, validated. Throws a RangeError naming the
 * option when `samples` or `concurrency` is not a positive integer or `retries` not a whole number.
 */
export function resolveOptions(options: Partial<ResolveOptions> = {}): ResolveOptions {
  const merged = { ...DEFAULT_RESOLVE_OPTIONS, ...options };
  const positive = { samples: merged.samples, concurrency: merged.concurrency };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(merged.retries) || merged.retries < 0) {
    throw new RangeError(`retries must be a whole number, got ${merged.retries}`);
  }
  return merged;
}
