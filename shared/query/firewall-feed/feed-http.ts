import { sha256Hex } from "#shared/domain/canonical";

/**
 * The firewall feed's requests and responses, independent of the transport (API Gateway in
 * the EDL Lambda, node:http in `driftwatch serve`).
 */
export interface FeedRequest {
  method: string;
  /** The URL path, e.g. `/allowlists/license-validation.txt` (no query string). */
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  /** Header names lower-case. */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface FeedResponse {
  status: number;
  headers: Record<string, string>;
  /** UTF-8 text; empty for 304 and HEAD. */
  body: string;
}

/** A strong validator: the sha256 of the representation's bytes. */
export function strongEtag(body: string | Uint8Array): string {
  return `"${sha256Hex(body)}"`;
}

/**
 * Whether `If-None-Match` matches `etag` (RFC 9110 13.1.2: weak comparison, `*` matches any
 * current representation).
 */
export function ifNoneMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header
    .split(",")
    .map((tag) => tag.trim())
    .some((tag) => tag === "*" || opaque(tag) === opaque(etag));
}

/** A representation with its ETag, or 304 when the client holds it already. */
export function representation(
  request: FeedRequest,
  body: string,
  contentType: string,
): FeedResponse {
  const etag = strongEtag(body);
  const headers = { etag, "cache-control": "no-cache" };
  if (ifNoneMatchHolds(request.headers["if-none-match"], etag)) {
    return { status: 304, headers, body: "" };
  }
  return {
    status: 200,
    headers: { ...headers, "content-type": contentType },
    body: request.method === "HEAD" ? "" : body,
  };
}

export function jsonError(status: number, message: string, extra: Record<string, string> = {}) {
  return {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
    body: `${JSON.stringify({ error: message })}\n`,
  } satisfies FeedResponse;
}
