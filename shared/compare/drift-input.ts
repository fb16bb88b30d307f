import type { AllowlistLimits } from "#shared/allowlists/limits";
import type { WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type { Catalogue } from "#shared/catalogue/schema";
import type { FeedId, FeedIngestResult, RangeMatcher } from "#shared/domain/feed";
import type { HostObservation } from "#shared/domain/observation";
import type { VendorDocumentCheck } from "#shared/domain/vendor-document";

/** What one run of `evaluateDrift` judges, and how. */
export interface DriftOptions {
  /** Consecutive failed runs before `resolution-failed` is raised. */
  failureThreshold: number;
  /** How long a documented IP may go unserved before `documented-ip-unused`. */
  unusedGrace: { hours: number };
  /** Firewall limits for the allowlist-size warnings (defaults: 32 per FQDN object, 60 rules). */
  limits?: Partial<AllowlistLimits>;
}

export interface DriftFeeds {
  results: readonly FeedIngestResult[];
  /** The current snapshot's matcher per feed (the last good one when a fetch failed). */
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  /**
   * Feeds with a stored snapshot that cannot be read back this run (its archived object is
   * missing or corrupt): they have no matcher, and the allowlists that list their ranges keep
   * what was last written rather than shrink to the observed IPs.
   */
  unreadable?: readonly FeedId[];
}

export interface DriftInput {
  catalogue: Catalogue;
  observations: readonly HostObservation[];
  feeds: DriftFeeds;
  now: Date;
  runId: string;
  options: DriftOptions;
  /** Checks of the vendor's document the catalogue names (`vendor-document-changed`). */
  documents?: readonly VendorDocumentCheck[];
  /**
   * The last written allowlist document of each group relying on an unreadable feed
   * (`readWrittenAllowlists`): such a group's allowlist keeps that feed's last known prefixes.
   * A held group without one is kept as last written. The actions say which. Also those of the
   * groups with feed endpoints: IPs a feed withdrawal stranded stay listed while observed.
   */
  writtenAllowlists?: ReadonlyMap<string, WrittenAllowlist>;
}
