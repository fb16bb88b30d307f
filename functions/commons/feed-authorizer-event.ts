import { z } from "zod";

/**
 * What the feed authorizer reads of an HTTP API Lambda authorizer event (REQUEST, payload format
 * 2.0): the Authorization header (API Gateway lower-cases header names) and, for the log, the
 * route, the source address and the request id. Nothing else of the event is trusted.
 */
export const FeedAuthorizerEvent = z.looseObject({
  type: z.literal("REQUEST"),
  routeKey: z.string().max(300).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  requestContext: z
    .looseObject({
      requestId: z.string().max(200).optional(),
      http: z.looseObject({ sourceIp: z.string().max(100).optional() }).optional(),
    })
    .optional(),
});
export type FeedAuthorizerEvent = z.infer<typeof FeedAuthorizerEvent>;

/** The simple response of an HTTP API Lambda authorizer (`enableSimpleResponses`). */
export interface FeedAuthorizerResponse {
  isAuthorized: boolean;
  /** Handed to the feed function as `requestContext.authorizer.lambda`. */
  context?: { tokenHashPrefix: string };
}
