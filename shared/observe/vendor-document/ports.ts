import type { VendorDocumentVersion } from "#shared/domain/vendor-document";

/**
 * The ports of the vendor-document check. Adapters: `createHttpDocumentFetcher` (http, https,
 * file://) and the object archive (S3, or the embedded bucket locally).
 */

export interface DocumentFetchRequest {
  url: string;
  /** Validators from the last download of the same URL (If-None-Match / If-Modified-Since). */
  etag?: string;
  lastModified?: string;
}

export type DocumentFetchResult =
  | { status: "not-modified"; url: string }
  | {
      status: "fetched";
      /** Final URL, after redirects. */
      url: string;
      bytes: Uint8Array;
      contentType: string;
      etag?: string;
      lastModified?: string;
    };

export interface DocumentFetcher {
  /** Throws `DocumentFetchError` naming the URL and the reason. */
  fetch(request: DocumentFetchRequest): Promise<DocumentFetchResult>;
}

/** A failed fetch: `unreachable` (try again later) or `rejected` (this is wrong). */
export class DocumentFetchError extends Error {
  override readonly name = "DocumentFetchError";
  constructor(
    readonly status: "unreachable" | "rejected",
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`vendor document ${status}: ${reason}`, options);
  }
}

/**
 * The stored state of a catalogue's watched document (`vendor-documents/<catalogueId>/current.json`
 * in the archive): the current version, and the validators of its last download.
 */
export interface VendorDocumentPointer {
  v: 1;
  catalogueId: string;
  /** The URL the validators belong to (the catalogue's, before redirects). */
  url: string;
  etag?: string;
  lastModified?: string;
  version: VendorDocumentVersion;
  confirmedAt: string;
}

export interface DocumentLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}
