import { createDetectionStores, createJudgeDrift } from "#shared/adapters/compose";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { DetectionCycleDeps } from "#shared/detect/detection-cycle";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { failingOnce } from "#test/helpers/faults";

/**
 * The detection cycle's real adapters on a test stack, asking `resolver`; its `judgeDrift` fails
 * once (with DynamoDB unavailable) after `judge.arm()`.
 */
export function faultableCycleDeps(stack: EmbeddedStack, resolver: DnsResolver) {
  const stores = createDetectionStores(stack.clients, stack);
  const judge = failingOnce(createJudgeDrift(stores));
  const deps: DetectionCycleDeps = {
    resolver,
    observations: stores.observations,
    fetcher: createHttpFeedFetcher({ timeoutMs: 5_000, maxBytes: 8 * 1024 * 1024 }),
    archive: stores.archive,
    feedPointers: stores.feedPointers,
    judgeDrift: judge.judgeDrift,
  };
  return { deps, judge };
}
