import type { PrefixListFamily } from "./plan";

/**
 * The ports of the prefix-list subscriber: the AWS managed prefix lists a group is kept in (the
 * EC2 adapter is shared/adapters/ec2/prefix-lists.ts) and the group's written allowlist.
 */

/** `ready` also after a failed modification (AWS keeps the last good version). */
export type PrefixListState = "ready" | "in-progress";

export interface ManagedPrefixList {
  id: string;
  family: PrefixListFamily;
  version: number;
  maxEntries: number;
  /** `in-progress`: a create, modify or restore is running; a modification would be refused. */
  state: PrefixListState;
}

export type PrefixListChange =
  | { add: string[]; remove: string[]; description: string }
  | { maxEntries: number };

export interface PrefixLists {
  /** The lists tagged for `group` (at most one per family is kept in step; more are refused). */
  listsOf(group: string): Promise<ManagedPrefixList[]>;
  /** Every group a list of this stage is tagged for, each once, sorted. */
  taggedGroups(): Promise<string[]>;
  describe(id: string): Promise<ManagedPrefixList>;
  /** Every entry's CIDR as AWS stores it, all pages read. */
  entries(id: string): Promise<string[]>;
  /**
   * Applies `change` to version `currentVersion`; the new version. Throws
   * `PrefixListConflictError` when the version moved or a modification is running, and
   * `PrefixListThrottledError` when AWS throttled the call past the client's own retries.
   */
  modify(id: string, currentVersion: number, change: PrefixListChange): Promise<number>;
}

/** The group's allowlist entries (IPs, CIDRs, maybe domains), or null when it has no file. */
export interface AllowlistEntries {
  entriesOf(group: string): Promise<string[] | null>;
}

/** The list changed under us (another writer, or a modification still running): re-read. */
export class PrefixListConflictError extends Error {
  override readonly name = "PrefixListConflictError";
  constructor(
    readonly prefixListId: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`prefix list ${prefixListId}: ${code}`, options);
  }
}

/** AWS throttled the call (RequestLimitExceeded) after the SDK's own retries. */
export class PrefixListThrottledError extends Error {
  override readonly name = "PrefixListThrottledError";
  constructor(
    readonly prefixListId: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`prefix list ${prefixListId}: throttled (${code})`, options);
  }
}
