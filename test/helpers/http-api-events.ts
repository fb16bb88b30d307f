import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";

/** The IAM caller API Gateway reports for a signed request (`requestContext.authorizer.iam`). */
export const AUDITOR_ARN = "arn:aws:sts::123456789012:assumed-role/Auditor/jane";

/**
 * An API Gateway HTTP API event (payload format 2.0) of a GET on an IAM-authorized route, as the
 * audit function receives it: `rawPath` percent-encoded, the query string decoded.
 */
export function httpApiGet(
  rawPath: string,
  query?: Record<string, string>,
  requestId = "req-audit-1",
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const routeKey = `GET ${rawPath}`;
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { host: "abc123.execute-api.eu-west-1.amazonaws.com" },
    ...(query ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      requestId,
      routeKey,
      stage: "$default",
      time: "03/Dec/2026:17:00:00 +0000",
      timeEpoch: 1796317200000,
      http: {
        method: "GET",
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "192.0.2.1",
        userAgent: "driftwatch-test",
      },
      authorizer: {
        iam: {
          accessKey: "ASIAEXAMPLE",
          accountId: "123456789012",
          callerId: "AROAEXAMPLE:jane",
          cognitoIdentity: null,
          principalOrgId: "o-example",
          userArn: AUDITOR_ARN,
          userId: "AROAEXAMPLE:jane",
        },
      },
    },
  } satisfies APIGatewayProxyEventV2WithIAMAuthorizer;
}

/**
 * An HTTP API Lambda authorizer event (REQUEST, payload 2.0, simple responses) of a GET on a feed
 * route, as the feed authorizer receives it; `authorization` is the header, absent when undefined.
 */
export function feedAuthorizerEvent(authorization?: string) {
  const headers: Record<string, string> = { host: "abc123.execute-api.eu-west-1.amazonaws.com" };
  if (authorization !== undefined) headers.authorization = authorization;
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/feed/version",
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: "GET /feed/version",
    rawPath: "/feed/version",
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      http: { method: "GET", path: "/feed/version", sourceIp: "198.51.100.7" },
      requestId: "req-feed-1",
      routeKey: "GET /feed/version",
      stage: "$default",
    },
  };
}
