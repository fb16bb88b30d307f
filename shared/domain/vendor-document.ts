/**
 * Watching the vendor's document: the catalogue names the page it was written from
 * (`document.source.url`), and each cycle checks whether the vendor revised it. These are the
 * contracts the observe step (shared/observe/vendor-document) hands to the compare step.
 */

/**
 * - `baseline`: the first version seen (or the first after the URL changed): kept, no event.
 * - `unchanged`: fetched, and its text is the text of the current version.
 * - `not-modified`: the server answered 304 to the conditional request.
 * - `changed`: fetched, and its text differs from the current version's: one event.
 * - `unreachable`: DNS failure, refused connection, timeout, 5xx or 429: a status, never an event.
 * - `rejected`: 4xx, too large, a content type that is not text or HTML: a status, never an event.
 */
export const VENDOR_DOCUMENT_STATUSES = [
  "baseline",
  "unchanged",
  "not-modified",
  "changed",
  "unreachable",
  "rejected",
] as const;
export type VendorDocumentStatus = (typeof VENDOR_DOCUMENT_STATUSES)[number];

/** One archived version of the document: its text (extracted from HTML), content-addressed. */
export interface VendorDocumentVersion {
  /** sha256 hex of the extracted text: what "changed" means. */
  sha256: string;
  /** `vendor-documents/<catalogueId>/<sha256>.txt` (the text), see shared/observe/vendor-document. */
  archiveKey: string;
  /** The body as served, content-addressed by its own sha256. */
  rawKey: string;
  /** The final URL, after redirects. */
  source: string;
  contentType: string;
  fetchedAt: string;
  /** Lines of extracted text. */
  lines: number;
}

/** A readable diff of two versions' text: unified-diff style, capped in size. */
export interface VendorDocumentDiff {
  /** `--- …`/`+++ …` headers, `@@` hunks with 3 lines of context; cut after the cap. */
  text: string;
  linesAdded: number;
  linesRemoved: number;
  /** Part of the diff was left out to keep the notification small; the archive has both texts. */
  truncated: boolean;
}

/** What one check of the vendor's document found. */
export interface VendorDocumentCheck {
  catalogueId: string;
  /** The URL the catalogue names. */
  url: string;
  status: VendorDocumentStatus;
  /** Why it failed (`unreachable`, `rejected`), or what was noticed on the way. */
  reason?: string;
  /** The version the document is known to serve after this check (the new one when changed). */
  current?: VendorDocumentVersion;
  /** `changed`: the version it was compared with. */
  previous?: VendorDocumentVersion;
  /** `changed`: the text diff from `previous` to `current`. */
  diff?: VendorDocumentDiff;
  /** The last time the document was confirmed to serve `current`. */
  confirmedAt?: string;
}
