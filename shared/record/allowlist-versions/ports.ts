import type { AllowlistChange } from "./allowlist-change";

/**
 * A catalogue's allowlist version: a number that moves by one for every change of any of its
 * groups' allowlist content (`CATALOGUE#<id>` / `ALLOWLIST_VERSION`, see TABLE.md).
 */
export interface CatalogueVersion {
  catalogueId: string;
  /** 0 before the first change. */
  version: number;
  /** The change of `version` (null at 0): a retried bump finds it and does not bump again. */
  lastChangeId: string | null;
  /** Per group, the content hash `version` lists and the version that last changed it. */
  groups: Record<string, { contentSha256: string; version: number }>;
  updatedAt: string | null;
}

/** What a cycle staged before rewriting a group's allowlist: the run and events behind it. */
export interface PendingAllowlistChange {
  catalogueId: string;
  group: string;
  /** The content hash being written. */
  toSha256: string;
  runId: string;
  eventIds: string[];
  stagedAt: string;
}

/** Reading versions and changes (the firewall feed, the CLI). */
export interface AllowlistVersionReads {
  getVersion(catalogueId: string): Promise<CatalogueVersion | null>;
  /** Changes with `since < version <= through`, ascending, at most `limit`. */
  changesBetween(
    catalogueId: string,
    range: { since: number; through: number; limit: number },
  ): Promise<AllowlistChange[]>;
}

/**
 * The version store (DynamoDB, single-item conditional writes, no transactions). A change item
 * is written first (`attribute_not_exists`), then the version moves onto it (conditional on the
 * version and change read), so a crash in between leaves a change a later bump completes.
 */
export interface AllowlistVersionStore extends AllowlistVersionReads {
  getChange(catalogueId: string, version: number): Promise<AllowlistChange | null>;
  /** Writes the change unless its version number is taken; whether it wrote. */
  putChange(change: AllowlistChange): Promise<boolean>;
  /**
   * Moves the version to `next`, conditional on it still being `previous` (null: no version
   * item yet). False when another writer moved it first.
   */
  advanceVersion(next: CatalogueVersion, previous: CatalogueVersion | null): Promise<boolean>;
  putPending(pending: PendingAllowlistChange): Promise<void>;
  getPending(catalogueId: string, group: string): Promise<PendingAllowlistChange | null>;
}
