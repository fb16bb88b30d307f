import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { type AuditApiHandlerDeps, auditApiDepsFromEnv } from "#functions/commons/audit-api-deps";
import { HttpApiEvent } from "#functions/commons/audit-api-event";
import { createAuditRouter } from "#shared/query/api/audit-router";

/**
 * The audit HTTP API (API Gateway HTTP API, IAM authorization: API Gateway refuses an unsigned
 * call before it gets here). Hands the method, raw path and query string to the audit router and
 * answers what it answers; logs each request with its caller and status.
 */
export function createAuditApiHandler(deps: AuditApiHandlerDeps) {
  const { logger } = deps;
  const route = createAuditRouter({
    ...deps.api,
    logger: { error: (message, attributes) => logger.error(message, { ...attributes }) },
  });

  return middy(async (rawEvent: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    const parsed = HttpApiEvent.safeParse(rawEvent);
    if (!parsed.success) {
      logger.error("not an HTTP API event", { problem: parsed.error.issues[0]?.message });
      return {
        statusCode: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ error: "internal-error", message: "unexpected request" }),
      };
    }
    const event = parsed.data;
    const response = await route({
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      requestId: event.requestContext.requestId,
    });
    logger.info("audit request", {
      method: event.requestContext.http.method,
      path: event.rawPath,
      caller: event.requestContext.authorizer?.iam?.userArn ?? null,
      status: response.statusCode,
    });
    return response;
  }).use(injectLambdaContext(logger));
}

let coldStart: ReturnType<typeof createAuditApiHandler> | undefined;

/** The Lambda entry point; reads its configuration on the first invocation of a cold start. */
export const handler = (event: unknown, context: Context) => {
  coldStart ??= createAuditApiHandler(auditApiDepsFromEnv(process.env));
  return coldStart(event, context);
};
