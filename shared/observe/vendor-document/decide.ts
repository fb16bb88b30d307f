import type { VendorDocumentStatus, VendorDocumentVersion } from "#shared/domain/vendor-document";
import type { VendorDocumentPointer } from "./ports";

/** What one download gave, before any decision. */
export type DocumentFetchOutcome =
  | { kind: "not-modified"; url: string }
  | {
      kind: "fetched";
      /** The version the download is, were it kept (its keys content-addressed). */
      version: VendorDocumentVersion;
      etag?: string;
      lastModified?: string;
    }
  | { kind: "failed"; status: "unreachable" | "rejected"; reason: string };

export interface VendorDocumentDecision {
  status: VendorDocumentStatus;
  reason?: string;
  /** The version the document serves as far as is known after this check. */
  current?: VendorDocumentVersion;
  /** `changed`: the version it is compared with. */
  previous?: VendorDocumentVersion;
  /** A version to archive (its text and raw body): a baseline or a change. */
  archive?: VendorDocumentVersion;
  /** The pointer to write now (baseline, unchanged, 304), or null: nothing to write. */
  pointerNow: VendorDocumentPointer | null;
  /**
   * `changed`: the pointer to write once the change event is committed. Written before, a crash
   * in between would lose the change; written after, a retry sees the same change (same event id).
   */
  pointerWhenJudged: VendorDocumentPointer | null;
}

/**
 * The decision of one check, pure:
 * - a failed download (unreachable, rejected) changes nothing: a status, never an event, and
 *   the pointer stays on the last good version, so a page flapping between failure and success
 *   with the same text raises nothing;
 * - no pointer, or one for another URL (the catalogue's source moved): a baseline, no event;
 * - 304, or a download whose text hashes to the current version's: unchanged (validators and
 *   `confirmedAt` refreshed);
 * - a download with other text: changed, the pointer moves only once the event is committed.
 */
export function decideVendorDocument(
  pointer: VendorDocumentPointer | null,
  source: { catalogueId: string; url: string },
  outcome: DocumentFetchOutcome,
  now: Date,
): VendorDocumentDecision {
  const known = pointer !== null && pointer.url === source.url ? pointer : null;
  const confirmedAt = now.toISOString();
  if (outcome.kind === "failed") {
    return {
      status: outcome.status,
      reason: outcome.reason,
      ...(known === null ? {} : { current: known.version }),
      pointerNow: null,
      pointerWhenJudged: null,
    };
  }
  if (outcome.kind === "not-modified") {
    if (known === null) {
      return {
        status: "rejected",
        reason: `HTTP 304 to an unconditional request from ${outcome.url}`,
        pointerNow: null,
        pointerWhenJudged: null,
      };
    }
    return {
      status: "not-modified",
      current: known.version,
      pointerNow: { ...known, confirmedAt },
      pointerWhenJudged: null,
    };
  }
  const next: VendorDocumentPointer = {
    v: 1,
    catalogueId: source.catalogueId,
    url: source.url,
    ...(outcome.etag === undefined ? {} : { etag: outcome.etag }),
    ...(outcome.lastModified === undefined ? {} : { lastModified: outcome.lastModified }),
    version: outcome.version,
    confirmedAt,
  };
  if (known === null) {
    return {
      status: "baseline",
      ...(pointer === null ? {} : { reason: `the catalogue's source moved from ${pointer.url}` }),
      current: outcome.version,
      archive: outcome.version,
      pointerNow: next,
      pointerWhenJudged: null,
    };
  }
  if (known.version.sha256 === outcome.version.sha256) {
    return {
      status: "unchanged",
      current: known.version,
      pointerNow: { ...next, version: known.version },
      pointerWhenJudged: null,
    };
  }
  return {
    status: "changed",
    current: outcome.version,
    previous: known.version,
    archive: outcome.version,
    pointerNow: null,
    pointerWhenJudged: next,
  };
}
