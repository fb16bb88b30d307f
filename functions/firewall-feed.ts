import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import {
  type FirewallFeedHandlerDeps,
  firewallFeedDepsFromEnv,
} from "#functions/commons/firewall-feed-deps";
import { FIREWALL_FEED_BASE_PATH, FirewallFeedEvent } from "#functions/commons/firewall-feed-event";
import { createFirewallFeedRouter } from "#shared/query/firewall-feed/firewall-feed-router";

/**
 * The firewall feed (EDL) on the service's HTTP API, under /feed, behind the feed authorizer
 * (a token checked before the function runs): the allowlist version, the changes since a
 * version, each group's allowlist as EDL text or JSON, and an Atom feed, with strong ETags so an
 * unchanged list costs a 304. Hands the method, raw path, query string and headers to the
 * firewall-feed router and answers what it answers; logs each request with its status and the
 * token (hash prefix) the authorizer matched.
 */
export function createFirewallFeedHandler(deps: FirewallFeedHandlerDeps) {
  const { logger } = deps;
  const route = createFirewallFeedRouter(deps.feed, {
    basePath: FIREWALL_FEED_BASE_PATH,
    logger,
  });

  return middy(async (rawEvent: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    const parsed = FirewallFeedEvent.safeParse(rawEvent);
    if (!parsed.success) {
      logger.error("not an HTTP API event", { problem: parsed.error.issues[0]?.message });
      return {
        statusCode: 500,
        headers: { "content-type": "application/json", "cache-control": "no-store" },
        body: `${JSON.stringify({ error: "unexpected request" })}\n`,
      };
    }
    const event = parsed.data;
    const { method } = event.requestContext.http;
    const response = await route({
      method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      headers: event.headers ?? {},
    });
    logger.info("feed request", {
      method,
      path: event.rawPath,
      status: response.status,
      sourceIp: event.requestContext.http.sourceIp ?? null,
      tokenHashPrefix: event.requestContext.authorizer?.lambda?.tokenHashPrefix ?? null,
      requestId: event.requestContext.requestId,
    });
    return { statusCode: response.status, headers: response.headers, body: response.body };
  }).use(injectLambdaContext(logger));
}

let coldStart: ReturnType<typeof createFirewallFeedHandler> | undefined;

/** The Lambda entry point; reads its configuration on the first invocation of a cold start. */
export const handler = (event: unknown, context: Context) => {
  coldStart ??= createFirewallFeedHandler(firewallFeedDepsFromEnv(process.env));
  return coldStart(event, context);
};
