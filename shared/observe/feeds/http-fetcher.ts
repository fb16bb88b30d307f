import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { FeedId } from "#shared/domain/feed";
import { FeedRejectedError, FeedUnreachableError } from "./errors";
import type { FeedFetcher, FeedFetchRequest, FeedFetchResult } from "./ports";

const gunzipAsync = promisify(gunzip);

export interface HttpFeedFetcherOptions {
  /** Whole request, redirects and body included. */
  timeoutMs: number;
  /** Largest body accepted (after content decoding / gunzip); past it the download is aborted. */
  maxBytes: number;
  /** Redirects followed before giving up; a loop is rejected as soon as it is seen. */
  maxRedirects?: number;
  userAgent?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses that say "try again later" rather than "this is wrong". */
const TRANSIENT = new Set([408, 425, 429]);

/**
 * The fetcher adapter: Node's global fetch for http(s) with manual redirects, conditional
 * requests, a timeout and a streaming size cap; the file system for `file://` (a `.gz` file is
 * gunzipped, so the shipped fixtures can be served as they are).
 *
 * Unreachable (DNS failure, refused connection, timeout, 5xx, 429) is kept apart from rejected
 * (4xx, redirect loop, oversized body, unsupported URL).
 */
export function createHttpFeedFetcher(options: HttpFeedFetcherOptions): FeedFetcher {
  const maxRedirects = options.maxRedirects ?? 5;
  if (!(options.timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  if (!(options.maxBytes > 0)) throw new RangeError("maxBytes must be positive");
  return {
    async fetch(request) {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch (cause) {
        throw new FeedRejectedError(request.feed, `invalid URL ${JSON.stringify(request.url)}`, {
          cause,
        });
      }
      if (url.protocol === "file:") return fetchFile(request.feed, url, options.maxBytes);
      if (url.protocol === "http:" || url.protocol === "https:") {
        return fetchHttp(request, url, { ...options, maxRedirects });
      }
      throw new FeedRejectedError(request.feed, `unsupported URL scheme ${url.protocol}`);
    },
  };
}

async function fetchHttp(
  request: FeedFetchRequest,
  start: URL,
  options: Required<Pick<HttpFeedFetcherOptions, "timeoutMs" | "maxBytes" | "maxRedirects">> &
    HttpFeedFetcherOptions,
): Promise<FeedFetchResult> {
  const { feed } = request;
  const cap = new AbortController();
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), cap.signal]);
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": options.userAgent ?? "driftwatch-feeds",
  };
  if (request.etag !== undefined) headers["if-none-match"] = request.etag;
  if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified;
  const conditional = request.etag !== undefined || request.lastModified !== undefined;

  const visited: string[] = [start.href];
  let url = start;
  try {
    for (;;) {
      const response = await fetch(url, { headers, redirect: "manual", signal });
      if (REDIRECTS.has(response.status)) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        if (location === null) {
          throw new FeedRejectedError(
            feed,
            `HTTP ${response.status} without a Location from ${url.href}`,
          );
        }
        const next = new URL(location, url);
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw new FeedRejectedError(feed, `redirect to unsupported URL ${next.href}`);
        }
        if (visited.includes(next.href)) {
          throw new FeedRejectedError(
            feed,
            `redirect loop: ${[...visited.slice(visited.indexOf(next.href)), next.href].join(" -> ")}`,
          );
        }
        visited.push(next.href);
        if (visited.length - 1 > options.maxRedirects) {
          throw new FeedRejectedError(
            feed,
            `too many redirects (more than ${options.maxRedirects}) from ${start.href}`,
          );
        }
        url = next;
        continue;
      }
      if (response.status === 304) {
        await response.body?.cancel();
        if (!conditional) {
          throw new FeedRejectedError(
            feed,
            `HTTP 304 to an unconditional request from ${url.href}`,
          );
        }
        return { status: "not-modified", url: url.href };
      }
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel();
        const reason = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""} from ${url.href}`;
        if (response.status >= 500 || TRANSIENT.has(response.status)) {
          throw new FeedUnreachableError(feed, reason);
        }
        throw new FeedRejectedError(feed, reason);
      }
      const bytes = await readCapped(feed, response, options.maxBytes, cap);
      return {
        status: "fetched",
        url: url.href,
        bytes,
        ...optional("contentType", response.headers.get("content-type")),
        ...optional("etag", response.headers.get("etag")),
        ...optional("lastModified", response.headers.get("last-modified")),
      };
    }
  } catch (error) {
    throw classifyFetchError(feed, url, error, options.timeoutMs);
  }
}

function optional<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: string };
}

async function readCapped(
  feed: FeedId,
  response: Response,
  maxBytes: number,
  cap: AbortController,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length"));
  // A declared length only says something without content-encoding (fetch decodes gzip).
  if (response.headers.get("content-encoding") === null && declared > maxBytes) {
    cap.abort();
    throw new FeedRejectedError(
      feed,
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
      cap.abort();
      await reader.cancel().catch(() => {});
      throw new FeedRejectedError(
        feed,
        `body too large: more than ${maxBytes} bytes, download aborted`,
      );
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function classifyFetchError(feed: FeedId, url: URL, error: unknown, timeoutMs: number): Error {
  if (error instanceof FeedRejectedError || error instanceof FeedUnreachableError) return error;
  if (error instanceof Error && error.name === "TimeoutError") {
    return new FeedUnreachableError(feed, `timed out after ${timeoutMs} ms fetching ${url.href}`, {
      cause: error,
    });
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
  if (cause?.message === "bad port") {
    // A configuration problem, not an outage: fetch refuses a few well-known ports.
    return new FeedRejectedError(feed, `port ${url.port} of ${url.href} is blocked by fetch`, {
      cause: error,
    });
  }
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const detail = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new FeedUnreachableError(feed, `${detail} fetching ${url.href}`, { cause: error });
}

async function fetchFile(feed: FeedId, url: URL, maxBytes: number): Promise<FeedFetchResult> {
  const path = fileURLToPath(url);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? "error";
    throw new FeedUnreachableError(feed, `${code} reading ${url.href}`, { cause });
  }
  if (size > maxBytes) {
    throw new FeedRejectedError(
      feed,
      `body too large: ${size} bytes exceeds the ${maxBytes}-byte cap`,
    );
  }
  let bytes: Uint8Array = await readFile(path);
  if (path.endsWith(".gz")) {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
    } catch (cause) {
      const tooLarge =
        cause instanceof RangeError || (cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      throw new FeedRejectedError(
        feed,
        tooLarge
          ? `body too large: ${url.href} gunzips to more than ${maxBytes} bytes`
          : `${url.href} is not a valid gzip file`,
        { cause },
      );
    }
  }
  return {
    status: "fetched",
    url: url.href,
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}
