import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import {
  createHttpFeedFetcher,
  type HttpFeedFetcherOptions,
} from "#shared/observe/feeds/http-fetcher";
import type { IngestFeedsDeps } from "#shared/observe/feeds/ingest-feeds";

/** The real adapters of the feed ingest, wired to a test stack. */
export function feedDeps(
  stack: EmbeddedStack,
  fetcher: Partial<HttpFeedFetcherOptions> = {},
): Required<Omit<IngestFeedsDeps, "logger">> {
  return {
    fetcher: createHttpFeedFetcher({ timeoutMs: 5_000, maxBytes: 8 * 1024 * 1024, ...fetcher }),
    archive: createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName }),
    pointers: createDynamoFeedPointerStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }),
  };
}
