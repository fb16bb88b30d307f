import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
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

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TRANSIENT = new Set([408, 425, 429]);

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
      const signal = AbortSignal.timeout(options.timeoutMs);
      try {
        return await fetchHttp(request, url, options, signal);
      } catch (error) {
        throw classify(error, url, options.timeoutMs);
      }
    },
  };
}

async function fetchHttp(
  request: DocumentFetchRequest,
  start: URL,
  options: HttpDocumentFetcherOptions,
  signal: AbortSignal,
): Promise<DocumentFetchResult> {
  const headers: Record<string, string> = {
    accept: "text/html, application/xhtml+xml, text/plain;q=0.9",
    "user-agent": options.userAgent ?? "driftwatch-vendor-document",
  };
  if (request.etag !== undefined) headers["if-none-match"] = request.etag;
  if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified;
  let url = start;
  for (let redirects = 0; ; redirects++) {
    const response = await fetch(url, { headers, redirect: "manual", signal });
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (location === null || redirects >= (options.maxRedirects ?? 5)) {
        throw new DocumentFetchError(
          "rejected",
          `HTTP ${response.status}: too many or broken redirects from ${start.href}`,
        );
      }
      url = new URL(location, url);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new DocumentFetchError("rejected", `redirect to unsupported URL ${url.href}`);
      }
      continue;
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: "not-modified", url: url.href };
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel();
      const reason = `HTTP ${response.status} from ${url.href}`;
      const transient = response.status >= 500 || TRANSIENT.has(response.status);
      throw new DocumentFetchError(transient ? "unreachable" : "rejected", reason);
    }
    const contentType = response.headers.get("content-type") ?? "";
    if (!isTextContentType(contentType)) {
      await response.body?.cancel();
      throw new DocumentFetchError(
        "rejected",
        `content type ${JSON.stringify(contentType)} from ${url.href} is not HTML or plain text`,
      );
    }
    const bytes = await readCapped(response, options.maxBytes);
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
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length"));
  if (response.headers.get("content-encoding") === null && declared > maxBytes) {
    await response.body?.cancel();
    throw new DocumentFetchError(
      "rejected",
      `body too large: Content-Length ${declared} exceeds the ${maxBytes}-byte cap`,
    );
  }
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new DocumentFetchError(
        "rejected",
        `body too large: more than ${maxBytes} bytes, download aborted`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function classify(error: unknown, url: URL, timeoutMs: number): DocumentFetchError {
  if (error instanceof DocumentFetchError) return error;
  if (error instanceof Error && error.name === "TimeoutError") {
    return new DocumentFetchError(
      "unreachable",
      `timed out after ${timeoutMs} ms fetching ${url.href}`,
      { cause: error },
    );
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
  const detail =
    cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new DocumentFetchError("unreachable", `${detail} fetching ${url.href}`, { cause: error });
}

async function fetchFile(url: URL, maxBytes: number): Promise<DocumentFetchResult> {
  const path = fileURLToPath(url);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? "error";
    throw new DocumentFetchError("unreachable", `${code} reading ${url.href}`, { cause });
  }
  if (size > maxBytes) {
    throw new DocumentFetchError(
      "rejected",
      `body too large: ${size} bytes exceeds the ${maxBytes}-byte cap`,
    );
  }
  const contentType = /\.x?html?$/i.test(path) ? "text/html" : "text/plain";
  return { status: "fetched", url: url.href, bytes: await readFile(path), contentType };
}
