import { Logger } from "@aws-lambda-powertools/logger";
import { createSsmClient } from "#shared/adapters/aws/ssm";
import { createSsmFeedTokenHashes } from "#shared/adapters/ssm/feed-token-hashes";
import {
  createFeedAuthorizer,
  type FeedAuthorizer,
} from "#shared/query/firewall-feed/feed-authorization";
import { loadFeedAuthorizerConfig } from "#shared/query/firewall-feed/feed-config";

export interface FeedAuthorizerHandlerDeps {
  authorize: FeedAuthorizer;
  logger: Logger;
}

export function feedAuthorizerLogger(env: Record<string, string | undefined>): Logger {
  return new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-feed-authorizer" });
}

/** Builds the dependencies from the environment: config and the SSM client once per cold start. */
export function feedAuthorizerDepsFromEnv(
  env: Record<string, string | undefined>,
  logger = feedAuthorizerLogger(env),
): FeedAuthorizerHandlerDeps {
  const config = loadFeedAuthorizerConfig(env);
  // SSM only: the bundle carries no other SDK client.
  const ssm = createSsmClient({ region: config.region });
  return {
    authorize: createFeedAuthorizer({
      readTokenHashes: createSsmFeedTokenHashes({
        ssm,
        parameterName: config.tokenParameterName,
      }),
      cacheMs: config.tokenCacheSeconds * 1000,
      now: Date.now,
    }),
    logger,
  };
}
