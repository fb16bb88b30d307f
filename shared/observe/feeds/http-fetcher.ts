import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { FeedId } from "#shared/domain/feed";
import {
  fetchDeadline,
  followRedirects,
  HttpFetchProblem,
  networkProblem,
  readCapped,
  readFileCapped,
  statusProblem,
} from "#shared/observe/http/bounded-fetch";
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
  const deadline = fetchDeadline(options.timeoutMs);
  const { signal } = deadline;
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": options.userAgent ?? "driftwatch-feeds",
  };
  if (request.etag !== undefined) headers["if-none-match"] = request.etag;
  if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified;
  const conditional = request.etag !== undefined || request.lastModified !== undefined;
  let url = start;
  try {
    const final = await followRedirects(start, { headers, signal }, options.maxRedirects);
    const { response } = final;
    url = final.url;
    if (response.status === 304) {
      await response.body?.cancel();
      if (!conditional) {
        throw new HttpFetchProblem(
          "rejected",
          `HTTP 304 to an unconditional request from ${url.href}`,
        );
      }
      return { status: "not-modified", url: url.href };
    }
    if (response.status < 200 || response.status > 299) throw await statusProblem(response, url);
    const bytes = await readCapped(response, options.maxBytes, deadline.abort);
    return {
      status: "fetched",
      url: url.href,
      bytes,
      ...optional("contentType", response.headers.get("content-type")),
      ...optional("etag", response.headers.get("etag")),
      ...optional("lastModified", response.headers.get("last-modified")),
    };
  } catch (error) {
    throw feedError(feed, networkProblem(error, url, options.timeoutMs));
  } finally {
    deadline.clear();
  }
}

function optional<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The feed's error for a problem of the fetch, its message unchanged. */
function feedError(feed: FeedId, problem: HttpFetchProblem): Error {
  const options = problem.cause === undefined ? undefined : { cause: problem.cause };
  return problem.kind === "rejected"
    ? new FeedRejectedError(feed, problem.message, options)
    : new FeedUnreachableError(feed, problem.message, options);
}

async function fetchFile(feed: FeedId, url: URL, maxBytes: number): Promise<FeedFetchResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(url, maxBytes);
  } catch (error) {
    throw error instanceof HttpFetchProblem ? feedError(feed, error) : error;
  }
  if (url.pathname.endsWith(".gz")) {
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
