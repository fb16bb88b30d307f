/**
 * The object archive port: a bucket of immutable-or-rewritten objects (feed snapshots,
 * allowlists): write only when the bytes differ, read back by key. The S3 adapter is
 * `shared/adapters/s3/object-archive.ts`.
 */
export interface ArchivedObject {
  bytes: Uint8Array;
  contentType?: string;
  /** User metadata (keys lower-case, as S3 returns them). */
  metadata: Record<string, string>;
}

export interface ObjectArchive {
  /**
   * Writes `bytes` under `key` unless an object with the same bytes is already there. Returns
   * whether it wrote. The object carries `metadata` plus `sha256` (hex of the bytes).
   * `overwrite` writes without that check: to restore an object found corrupt, whose stored
   * `sha256` metadata may still name the original bytes.
   */
  putIfChanged(
    key: string,
    bytes: Uint8Array,
    contentType: string,
    metadata?: Record<string, string>,
    options?: { overwrite?: boolean },
  ): Promise<boolean>;
  /** The object, or null when the key does not exist. */
  get(key: string): Promise<ArchivedObject | null>;
  exists(key: string): Promise<boolean>;
  /**
   * The ETag of every object under `prefix` (all pages; quotes removed): for a single-part put
   * without SSE-KMS, the md5 of its bytes. A writer checking many files at once lists them in a
   * request per 1,000 keys instead of a HEAD per file. Optional: an archive without it is checked
   * file by file.
   */
  etags?(prefix: string): Promise<Map<string, string>>;
}

export class ObjectArchiveError extends Error {
  override readonly name = "ObjectArchiveError";
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`object ${key}: ${reason}`, options);
  }
}
