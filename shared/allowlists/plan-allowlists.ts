import type { Catalogue } from "#shared/catalogue/schema";
import type { FeedId, FeedIngestResult, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import { buildAllowlists } from "./build";
import { type HeldAllowlists, holdAllowlists } from "./held";
import { type FeedWithdrawal, feedWithdrawalsOf } from "./stranded";
import type { WrittenAllowlist } from "./written-allowlist";

/**
 * This cycle's allowlists, planned once: built from the observed state and the feeds
 * (`buildAllowlists`), with the groups relying on an unreadable feed held (`holdAllowlists`).
 * The verdicts word their actions by it and the record step writes it. Pure.
 */
export interface AllowlistPlan extends HeldAllowlists {
  /** This run's feed withdrawals (`feedWithdrawalsOf`): their stranded IPs stay listed. */
  withdrawals: Map<FeedId, FeedWithdrawal>;
}

export interface AllowlistPlanInput {
  catalogue: Catalogue;
  observations: readonly HostObservation[];
  feeds: {
    results: readonly FeedIngestResult[];
    matchers: ReadonlyMap<FeedId, RangeMatcher>;
    unreadable?: readonly FeedId[];
  };
  /** The last written documents the cycle read back (`readWrittenAllowlists`). */
  written?: ReadonlyMap<string, WrittenAllowlist>;
}

export function planAllowlists(input: AllowlistPlanInput): AllowlistPlan {
  const withdrawals = feedWithdrawalsOf(input.feeds);
  const written = input.written ?? new Map();
  const built = buildAllowlists({
    catalogue: input.catalogue,
    observations: input.observations,
    matchers: input.feeds.matchers,
    withdrawals,
    written,
  });
  const { allowlists, held } = holdAllowlists(built, {
    catalogue: input.catalogue,
    unreadable: input.feeds.unreadable,
    written,
  });
  return { allowlists, held, withdrawals };
}
