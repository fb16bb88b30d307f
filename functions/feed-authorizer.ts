import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import {
  type FeedAuthorizerHandlerDeps,
  feedAuthorizerDepsFromEnv,
  feedAuthorizerLogger,
} from "#functions/commons/feed-authorizer-deps";
import {
  FeedAuthorizerEvent,
  type FeedAuthorizerResponse,
} from "#functions/commons/feed-authorizer-event";

const DENY: FeedAuthorizerResponse = { isAuthorized: false };

/**
 * The firewall feed's HTTP API Lambda authorizer (REQUEST, payload 2.0, simple responses): lets a
 * request in when its Authorization header presents a token (Bearer, or Basic's password) whose
 * sha256 the SSM parameter lists. It fails closed: a malformed event, an unreadable or malformed
 * parameter, or any other error is a deny (API Gateway answers 403), logged, never a throw (a
 * throw is a 500, and an authorizer's 500 must not be mistaken for anything but a refusal).
 */
export function createFeedAuthorizerHandler(deps: FeedAuthorizerHandlerDeps) {
  const { logger } = deps;
  return middy(async (rawEvent: unknown): Promise<FeedAuthorizerResponse> => {
    try {
      return await authorizeEvent(deps, rawEvent);
    } catch (error) {
      logger.error("feed request denied: the authorizer failed", { error });
      return DENY;
    }
  }).use(injectLambdaContext(logger));
}

async function authorizeEvent(
  deps: FeedAuthorizerHandlerDeps,
  rawEvent: unknown,
): Promise<FeedAuthorizerResponse> {
  const { logger } = deps;
  const parsed = FeedAuthorizerEvent.safeParse(rawEvent);
  if (!parsed.success) {
    logger.error("feed request denied: not an HTTP API authorizer request", {
      problem: parsed.error.issues[0]?.message ?? "invalid",
    });
    return DENY;
  }
  const event = parsed.data;
  const request = {
    routeKey: event.routeKey ?? null,
    sourceIp: event.requestContext?.http?.sourceIp ?? null,
    requestId: event.requestContext?.requestId ?? null,
  };
  const decision = await deps.authorize(event.headers?.authorization);
  if (decision.allowed) {
    logger.info("feed request allowed", { ...request, tokenHashPrefix: decision.tokenHashPrefix });
    return { isAuthorized: true, context: { tokenHashPrefix: decision.tokenHashPrefix } };
  }
  if (decision.reason === "hashes-unavailable") {
    logger.error("feed request denied: the token hashes could not be read", {
      ...request,
      reason: decision.reason,
      detail: decision.detail,
    });
  } else {
    logger.warn("feed request denied", { ...request, reason: decision.reason });
  }
  return DENY;
}

let coldStart: ReturnType<typeof createFeedAuthorizerHandler> | undefined;
let configLogger: Logger | undefined;

/**
 * The Lambda entry point; reads its configuration on the first invocation of a cold start. A
 * configuration that cannot be read denies every request (logged each time) instead of throwing.
 */
export const handler = async (event: unknown, context: Context) => {
  try {
    coldStart ??= createFeedAuthorizerHandler(feedAuthorizerDepsFromEnv(process.env));
  } catch (error) {
    configLogger ??= feedAuthorizerLogger(process.env);
    configLogger.error("feed request denied: the authorizer is not configured", { error });
    return DENY;
  }
  return coldStart(event, context);
};
