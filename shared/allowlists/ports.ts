/** What was last written for a group: the content hash and when the content last changed. */
export interface AllowlistState {
  group: string;
  contentSha256: string;
  /** When the content last changed: the generation time in the files' headers. */
  generatedAt: string;
  addresses: number;
  /** Names in the group's domain lists (`GroupAllowlist.domains`); absent when none. */
  domains?: number;
  keys: { txt: string; json: string };
  /**
   * The md5 (hex) of each file as written for this content and `generatedAt`, by object key:
   * an unchanged group whose listed objects still have these ETags is not rendered again.
   * Absent in states written before they were recorded.
   */
  etags?: Record<string, string>;
  updatedAt: string;
}

/** DynamoDB `ALLOWLIST#<group>` items (see TABLE.md). */
export interface AllowlistStateStore {
  get(group: string): Promise<AllowlistState | null>;
  /** The states of these groups (absent: none yet), consistent, in as few requests as it can. */
  getMany(groups: readonly string[]): Promise<Map<string, AllowlistState>>;
  /**
   * Records a content change, conditional on the state read before (`previousSha256`, null when
   * there was none). Returns false when another writer changed it first.
   */
  put(state: AllowlistState, previousSha256: string | null): Promise<boolean>;
}
