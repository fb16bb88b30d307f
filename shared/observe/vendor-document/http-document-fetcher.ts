import {
  type FetchDeadline,
  fetchDeadline,
  followRedirects,
  HttpFetchProblem,
  networkProblem,
  readCapped,
  readFileCapped,
  statusProblem,
} from "#shared/observe/http/bounded-fetch";
import { isHtml } from "./document-text";
import {
  DocumentFetchError,
  type DocumentFetcher,
  type DocumentFetchRequest,
  type DocumentFetchResult,
} from "./ports";

export interface HttpDocumentFetcherOptions {
  /** Whole request, redirects and body included. */
  timeoutMs: number;
  /** Largest body accepted; past it the download is aborted. */
  maxBytes: number;
  maxRedirects?: number;
  userAgent?: string;
}

export const DEFAULT_DOCUMENT_FETCH = { timeoutMs: 10_000, maxBytes: 5_000_000 } as const;

/** Whether a content type is one whose text can be compared (HTML or plain text). */
export function isTextContentType(contentType: string): boolean {
  return isHtml(contentType) || /^text\/(plain|markdown)\b/i.test(contentType.trim());
}

/**
 * The fetcher adapter: Node's fetch for http(s) with manual redirects, conditional requests, a
 * timeout, a streaming size cap and a content-type check; the file system for `file://` (the
 * type from the extension). Unreachable (DNS, refused, timeout, 5xx, 429) is kept apart from
 * rejected (4xx, too large, not text or HTML, redirect trouble, unsupported URL).
 */
export function createHttpDocumentFetcher(options: HttpDocumentFetcherOptions): DocumentFetcher {
  if (!(options.timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  if (!(options.maxBytes > 0)) throw new RangeError("maxBytes must be positive");
  return {
    async fetch(request) {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch (cause) {
        throw new DocumentFetchError("rejected", `invalid URL ${JSON.stringify(request.url)}`, {
          cause,
        });
      }
      if (url.protocol === "file:") return fetchFile(url, options.maxBytes);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new DocumentFetchError("rejected", `unsupported URL scheme ${url.protocol}`);
      }
      const deadline = fetchDeadline(options.timeoutMs);
      try {
        return await fetchHttp(request, url, options, deadline);
      } catch (error) {
        if (error instanceof DocumentFetchError) throw error;
        throw documentError(networkProblem(error, url, options.timeoutMs));
      } finally {
        deadline.clear();
      }
    },
  };
}

async function fetchHttp(
  request: DocumentFetchRequest,
  start: URL,
  options: HttpDocumentFetcherOptions,
  deadline: FetchDeadline,
): Promise<DocumentFetchResult> {
  const headers: Record<string, string> = {
    accept: "text/html, application/xhtml+xml, text/plain;q=0.9",
    "user-agent": options.userAgent ?? "driftwatch-vendor-document",
  };
  if (request.etag !== undefined) headers["if-none-match"] = request.etag;
  if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified;
  const { response, url } = await followRedirects(
    start,
    { headers, signal: deadline.signal },
    options.maxRedirects ?? 5,
  );
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: "not-modified", url: url.href };
  }
  if (response.status < 200 || response.status > 299) throw await statusProblem(response, url);
  const contentType = response.headers.get("content-type") ?? "";
  if (!isTextContentType(contentType)) {
    await response.body?.cancel();
    throw new DocumentFetchError(
      "rejected",
      `content type ${JSON.stringify(contentType)} from ${url.href} is not HTML or plain text`,
    );
  }
  const bytes = await readCapped(response, options.maxBytes, deadline.abort);
  const etag = response.headers.get("etag");
  const lastModified = response.headers.get("last-modified");
  return {
    status: "fetched",
    url: url.href,
    bytes,
    contentType,
    ...(etag === null ? {} : { etag }),
    ...(lastModified === null ? {} : { lastModified }),
  };
}

/** The document fetcher's error for a problem of the fetch, its message unchanged. */
function documentError(problem: HttpFetchProblem): DocumentFetchError {
  return new DocumentFetchError(
    problem.kind,
    problem.message,
    problem.cause === undefined ? undefined : { cause: problem.cause },
  );
}

async function fetchFile(url: URL, maxBytes: number): Promise<DocumentFetchResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(url, maxBytes);
  } catch (error) {
    throw error instanceof HttpFetchProblem ? documentError(error) : error;
  }
  const contentType = /\.x?html?$/i.test(url.pathname) ? "text/html" : "text/plain";
  return { status: "fetched", url: url.href, bytes, contentType };
}
