import { z } from "zod";

/** Where the feed's routes sit on the service's one HTTP API (the audit routes sit at the root). */
export const FIREWALL_FEED_BASE_PATH = "/feed";

/** The HTTP API routes of the firewall feed (serverless.yml declares exactly these). */
export const FIREWALL_FEED_ROUTE_PATHS = [
  `${FIREWALL_FEED_BASE_PATH}/catalogues`,
  `${FIREWALL_FEED_BASE_PATH}/version`,
  `${FIREWALL_FEED_BASE_PATH}/changes`,
  `${FIREWALL_FEED_BASE_PATH}/changes.atom`,
  `${FIREWALL_FEED_BASE_PATH}/allowlists/{file}`,
] as const;

/**
 * What the firewall feed function reads of an API Gateway HTTP API event (payload format 2.0)
 * behind the feed authorizer: the method, the raw path, the decoded query string, the headers
 * (lower-case: If-None-Match, Host, X-Forwarded-Proto), the request id, and which token the
 * authorizer matched (for the log). Nothing else of the event is trusted.
 */
export const FirewallFeedEvent = z.looseObject({
  rawPath: z.string().min(1).max(8192),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  requestContext: z.looseObject({
    requestId: z.string().min(1).max(200),
    http: z.looseObject({
      method: z.string().min(1).max(20),
      sourceIp: z.string().max(100).optional(),
    }),
    authorizer: z
      .looseObject({
        lambda: z.looseObject({ tokenHashPrefix: z.string().max(64).optional() }).optional(),
      })
      .optional(),
  }),
});
export type FirewallFeedEvent = z.infer<typeof FirewallFeedEvent>;
