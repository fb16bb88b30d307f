import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * What the feed and vendor-document fetchers share: Node's fetch with manual redirects (a loop,
 * too many, or one to another scheme is refused), a streaming size cap, and the failures sorted
 * into "rejected" (the source is wrong: a 4xx, a body too large, a redirect problem) and
 * "unreachable" (try again later: a timeout, a refused connection, a 5xx, 408/425/429). Each
 * fetcher turns an `HttpFetchProblem` into its own error, naming its source.
 */

export type HttpProblemKind = "rejected" | "unreachable";

export class HttpFetchProblem extends Error {
  override readonly name = "HttpFetchProblem";
  constructor(
    readonly kind: HttpProblemKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses that say "try again later" rather than "this is wrong". */
const TRANSIENT = new Set([408, 425, 429]);

/**
 * GETs `start`, following redirects by hand: at most `maxRedirects`, never to a URL already
 * visited or to a scheme other than http(s). Returns the first response that is not a redirect,
 * with its URL; the redirects' bodies are cancelled.
 */
export async function followRedirects(
  start: URL,
  init: { headers: Record<string, string>; signal: AbortSignal },
  maxRedirects: number,
): Promise<{ response: Response; url: URL }> {
  const visited: string[] = [start.href];
  let url = start;
  for (;;) {
    const response = await fetch(url, { ...init, redirect: "manual" });
    if (!REDIRECTS.has(response.status)) return { response, url };
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (location === null) {
      throw new HttpFetchProblem(
        "rejected",
        `HTTP ${response.status} without a Location from ${url.href}`,
      );
    }
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new HttpFetchProblem("rejected", `redirect to unsupported URL ${next.href}`);
    }
    if (visited.includes(next.href)) {
      const loop = [...visited.slice(visited.indexOf(next.href)), next.href];
      throw new HttpFetchProblem("rejected", `redirect loop: ${loop.join(" -> ")}`);
    }
    visited.push(next.href);
    if (visited.length - 1 > maxRedirects) {
      throw new HttpFetchProblem(
        "rejected",
        `too many redirects (more than ${maxRedirects}) from ${start.href}`,
      );
    }
    url = next;
  }
}

/** A status other than 2xx (and 304, which the caller handles): the problem it is. */
export async function statusProblem(response: Response, url: URL): Promise<HttpFetchProblem> {
  await response.body?.cancel();
  const text = response.statusText ? ` ${response.statusText}` : "";
  const reason = `HTTP ${response.status}${text} from ${url.href}`;
  const transient = response.status >= 500 || TRANSIENT.has(response.status);
  return new HttpFetchProblem(transient ? "unreachable" : "rejected", reason);
}

/**
 * The body, read until `maxBytes` (after content decoding): past it the download is aborted
 * (`abort`, then the reader cancelled) and refused. A declared Content-Length over the cap is
 * refused before reading.
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
  abort: () => void,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length"));
  // A declared length only says something without content-encoding (fetch decodes gzip).
  if (response.headers.get("content-encoding") === null && declared > maxBytes) {
    abort();
    await response.body?.cancel().catch(() => {});
    throw new HttpFetchProblem(
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
      abort();
      await reader.cancel().catch(() => {});
      throw new HttpFetchProblem(
        "rejected",
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

/** The abort signal of one fetch: aborted by its deadline, or by the caller. */
export interface FetchDeadline {
  signal: AbortSignal;
  /** Aborts the fetch now (a body over its cap). */
  abort(): void;
  /** Stops the deadline's timer: call it when the fetch is done, however it ended. */
  clear(): void;
}

/**
 * A signal that aborts with a `TimeoutError` `timeoutMs` after the call. Not
 * `AbortSignal.timeout`: its timer holds the signal only weakly, and a timeout signal inside
 * `AbortSignal.any` can be collected before it fires (nodejs/node#57736), so a server that
 * never answers could hold a fetch past its deadline (seen: the fault test of a hanging feed
 * server, 300 ms deadline, hung for 30 s while the machine was short of memory). This timer
 * holds its controller until it fires or is cleared, and never keeps the process alive.
 */
export function fetchDeadline(timeoutMs: number): FetchDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError"));
  }, timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    clear: () => clearTimeout(timer),
  };
}

/** A failure of fetch itself (no response): a timeout, a blocked port, a network error. */
export function networkProblem(error: unknown, url: URL, timeoutMs: number): HttpFetchProblem {
  if (error instanceof HttpFetchProblem) return error;
  if (error instanceof Error && error.name === "TimeoutError") {
    return new HttpFetchProblem(
      "unreachable",
      `timed out after ${timeoutMs} ms fetching ${url.href}`,
      { cause: error },
    );
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
  if (cause?.message === "bad port") {
    // A configuration problem, not an outage: fetch refuses a few well-known ports.
    return new HttpFetchProblem("rejected", `port ${url.port} of ${url.href} is blocked by fetch`, {
      cause: error,
    });
  }
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const detail = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new HttpFetchProblem("unreachable", `${detail} fetching ${url.href}`, { cause: error });
}

/** A `file://` URL's bytes, refused past `maxBytes` before reading; missing is unreachable. */
export async function readFileCapped(url: URL, maxBytes: number): Promise<Uint8Array> {
  const path = fileURLToPath(url);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? "error";
    throw new HttpFetchProblem("unreachable", `${code} reading ${url.href}`, { cause });
  }
  if (size > maxBytes) {
    throw new HttpFetchProblem(
      "rejected",
      `body too large: ${size} bytes exceeds the ${maxBytes}-byte cap`,
    );
  }
  return readFile(path);
}
