import { z } from "zod";

/**
 * What the audit API function reads of an API Gateway HTTP API event (payload format 2.0): the
 * method, the raw path, the decoded query string, the request id, and who signed the request
 * (the IAM authorizer's caller, for the audit log). Nothing else of the event is trusted.
 */
export const HttpApiEvent = z.looseObject({
  rawPath: z.string().min(1).max(8192),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  requestContext: z.looseObject({
    requestId: z.string().min(1).max(200),
    http: z.looseObject({ method: z.string().min(1).max(20) }),
    authorizer: z
      .looseObject({
        iam: z.looseObject({ userArn: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
export type HttpApiEvent = z.infer<typeof HttpApiEvent>;
