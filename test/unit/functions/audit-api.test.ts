import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAuditApiHandler } from "#functions/audit-api";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";
import { lambdaContext } from "#test/helpers/lambda-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";

/**
 * The audit API handler in its middy chain: an HTTP API (payload 2.0) event goes to the router as
 * method, raw path and query string; each request is logged with its caller and status.
 */

const CALLER = "arn:aws:sts::123456789012:assumed-role/Auditor/jane";
const context = lambdaContext({ functionName: "driftwatch-test-auditApi" });

function httpApiEvent(
  rawPath: string,
  query?: Record<string, string>,
): APIGatewayProxyEventV2WithIAMAuthorizer {
  return {
    version: "2.0",
    routeKey: `GET ${rawPath}`,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(query ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      requestId: "Qx1-request",
      routeKey: `GET ${rawPath}`,
      stage: "$default",
      time: "03/Dec/2026:17:00:00 +0000",
      timeEpoch: 1796317200000,
      http: {
        method: "GET",
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "192.0.2.1",
        userAgent: "test",
      },
      authorizer: {
        iam: {
          accessKey: "AKIA",
          accountId: "123456789012",
          callerId: "AROA:jane",
          cognitoIdentity: null,
          principalOrgId: "o-example",
          userArn: CALLER,
          userId: "AROA:jane",
        },
      },
    },
  } satisfies APIGatewayProxyEventV2WithIAMAuthorizer;
}

/** No store is reached by these requests: every read fails loudly. */
const unreachable = async (): Promise<never> => {
  throw new Error("the table driftwatch-prod-Table was read");
};
const deps: AuditApiDeps = {
  observations: {
    latestObservations: async () => new Map(),
    observationAt: unreachable,
    history: unreachable,
    hostsForIp: unreachable,
    historyPage: unreachable,
  },
  events: {
    committedChangeSets: async () => ({ items: [], cursor: null }),
    publishedChangeSets: unreachable,
  },
  catalogue: unreachable,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the audit API handler", () => {
  it("answers the router's response and logs the caller and status", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = createAuditApiHandler({ api: deps, logger: new Logger({ serviceName: "t" }) });

    // Act
    const response = await handler(httpApiEvent("/events", { limit: "5" }), context);
    const missing = await handler(httpApiEvent("/history/nowhere.example.com"), context);

    // Assess
    expect(response).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(`${(response as { body: string }).body}`)).toEqual({
      events: [],
      cursor: null,
    });
    expect(missing).toMatchObject({ statusCode: 404 });
    expect(JSON.parse(`${(missing as { body: string }).body}`).requestId).toBe("Qx1-request");
    const logged = output.logs().filter((line) => line.message === "audit request");
    expect(logged.map(({ path, caller, status }) => ({ path, caller, status }))).toEqual([
      { path: "/events", caller: CALLER, status: 200 },
      { path: "/history/nowhere.example.com", caller: CALLER, status: 404 },
    ]);
  });

  it("answers a 500 without details when a store fails, the details in the log", async () => {
    const output = captureLambdaOutput();
    const handler = createAuditApiHandler({ api: deps, logger: new Logger({ serviceName: "t" }) });

    const response = (await handler(httpApiEvent("/ips/192.0.2.1"), context)) as {
      statusCode: number;
      body: string;
    };

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("driftwatch-prod-Table");
    const errors = output.logs().filter((line) => line.level === "ERROR");
    expect(JSON.stringify(errors)).toContain("driftwatch-prod-Table");
  });

  it("refuses an event that is not an HTTP API request with a generic 500", async () => {
    captureLambdaOutput();
    const handler = createAuditApiHandler({ api: deps, logger: new Logger({ serviceName: "t" }) });

    const response = await handler({ Records: [] }, context);

    expect(response).toMatchObject({ statusCode: 500 });
  });
});
