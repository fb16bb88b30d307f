import { servedCataloguesVariable } from "#shared/config/catalogue-ids";
import { type Env, requiredVariable, wholeNumberVariable } from "#shared/config/env";

/** A firewall feed function's configuration is missing or malformed; names the variable. */
export class FeedConfigError extends Error {
  override readonly name = "FeedConfigError";
  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

/** What the feed authorizer reads at cold start (`loadFeedAuthorizerConfig`). */
export interface FeedAuthorizerConfig {
  region: string;
  /** The SSM parameter (a SecureString) listing the token hashes; a full path, `/…`. */
  tokenParameterName: string;
  /** How long a read hash list is used before SSM is asked again. */
  tokenCacheSeconds: number;
}

/**
 * DRIFTWATCH_FEED_TOKEN_PARAMETER (required, a path starting with `/`: the role's grant names
 * `parameter/<path>`), DRIFTWATCH_FEED_TOKEN_CACHE_SECONDS (0 to 3600, 300 when unset: how long a
 * removed token may still be let in by a warm container) and AWS_REGION (set by Lambda).
 */
export function loadFeedAuthorizerConfig(env: Env): FeedAuthorizerConfig {
  const tokenParameterName = requiredVariable(
    env,
    "DRIFTWATCH_FEED_TOKEN_PARAMETER",
    FeedConfigError,
  );
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(tokenParameterName)) {
    throw new FeedConfigError(
      "DRIFTWATCH_FEED_TOKEN_PARAMETER",
      `${JSON.stringify(tokenParameterName)}: must be a parameter path such as /driftwatch/prod/feed-token-sha256`,
    );
  }
  return {
    region: requiredVariable(env, "AWS_REGION", FeedConfigError),
    tokenParameterName,
    tokenCacheSeconds: wholeNumberVariable(
      env,
      "DRIFTWATCH_FEED_TOKEN_CACHE_SECONDS",
      { fallback: 300, min: 0, max: 3600 },
      FeedConfigError,
    ),
  };
}

/** What the firewall feed (EDL) function reads at cold start (`loadFirewallFeedConfig`). */
export interface FirewallFeedConfig {
  region: string;
  tableName: string;
  bucketName: string;
  /** The catalogues whose allowlist versions are served (DRIFTWATCH_CATALOGUE_IDS). */
  catalogueIds: string[];
  /** The one a request that names no catalogue gets (DRIFTWATCH_CATALOGUE_ID, else the first). */
  defaultCatalogueId: string;
}

/**
 * DRIFTWATCH_TABLE_NAME, DRIFTWATCH_BUCKET_NAME, AWS_REGION: required; the catalogues from
 * DRIFTWATCH_CATALOGUE_IDS and DRIFTWATCH_CATALOGUE_ID (`servedCataloguesVariable`).
 */
export function loadFirewallFeedConfig(env: Env): FirewallFeedConfig {
  return {
    region: requiredVariable(env, "AWS_REGION", FeedConfigError),
    tableName: requiredVariable(env, "DRIFTWATCH_TABLE_NAME", FeedConfigError),
    bucketName: requiredVariable(env, "DRIFTWATCH_BUCKET_NAME", FeedConfigError),
    ...servedCataloguesVariable(env, FeedConfigError),
  };
}
