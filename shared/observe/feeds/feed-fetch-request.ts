import type { FeedId } from "#shared/domain/feed";
import type { FeedFetchRequest, FeedPointer } from "./ports";

/**
 * The download request: conditional (If-None-Match / If-Modified-Since) with the validators of
 * the last download from the same URL, unless the current snapshot cannot be read back (a 304
 * would keep the pointer on the lost object).
 */
export function feedFetchRequest(
  source: { id: FeedId; url: string },
  pointer: FeedPointer | null,
  currentReadable: boolean,
): FeedFetchRequest {
  const conditional = pointer !== null && pointer.url === source.url && currentReadable;
  return {
    feed: source.id,
    url: source.url,
    ...(conditional
      ? {
          ...(pointer.etag !== undefined ? { etag: pointer.etag } : {}),
          ...(pointer.lastModified !== undefined ? { lastModified: pointer.lastModified } : {}),
        }
      : {}),
  };
}
