import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAuditApiHandler } from "#functions/audit-api";
import type { AuditApiDeps } from "#shared/query/api/audit-routes";
import { AUDITOR_ARN, httpApiGet } from "#test/helpers/http-api-events";
import { lambdaContext } from "#test/helpers/lambda-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";

/**
 * The audit API handler in its middy chain: an HTTP API (payload 2.0) event goes to the router as
 * method, raw path and query string; each request is logged with its caller and status.
 */

const context = lambdaContext({ functionName: "driftwatch-test-auditApi" });

/** No store is reached by these requests: every read fails loudly. */
const unreachable = async (): Promise<never> => {
  throw new Error("the table driftwatch-prod-Table was read");
};
const deps: AuditApiDeps = {
  catalogueIds: ["clearswift-seg-5.3"],
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
    const response = await handler(httpApiGet("/events", { limit: "5" }), context);
    const missing = await handler(httpApiGet("/history/nowhere.example.com"), context);

    // Assess
    expect(response).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(`${(response as { body: string }).body}`)).toEqual({
      events: [],
      cursor: null,
    });
    expect(missing).toMatchObject({ statusCode: 404 });
    expect(JSON.parse(`${(missing as { body: string }).body}`).requestId).toBe("req-audit-1");
    const logged = output.logs().filter((line) => line.message === "audit request");
    expect(logged.map(({ path, caller, status }) => ({ path, caller, status }))).toEqual([
      { path: "/events", caller: AUDITOR_ARN, status: 200 },
      { path: "/history/nowhere.example.com", caller: AUDITOR_ARN, status: 404 },
    ]);
  });

  it("answers a 500 without details when a store fails, the details in the log", async () => {
    const output = captureLambdaOutput();
    const handler = createAuditApiHandler({ api: deps, logger: new Logger({ serviceName: "t" }) });

    const response = (await handler(httpApiGet("/ips/192.0.2.1"), context)) as {
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
