import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFirewallFeedHandler } from "#functions/firewall-feed";
import { allowlistKeys } from "#shared/allowlists/render";
import { memoryArchive, memoryVersionStore } from "#test/helpers/allowlist-version-fakes";
import { lambdaContext } from "#test/helpers/lambda-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";

/**
 * The firewall feed handler in its middy chain: an HTTP API (payload 2.0) event behind the feed
 * authorizer goes to the router with its /feed prefix stripped, headers included (If-None-Match);
 * each request is logged with its status and the token the authorizer matched; a store failure
 * or an event that is not an HTTP API request answers a 500 without details.
 */

const context = lambdaContext({ functionName: "driftwatch-test-firewallFeed" });
const EDL = "# driftwatch allowlist for firewall group mail\n192.0.2.1\n";

function feedEvent(rawPath: string, headers: Record<string, string> = {}) {
  return {
    version: "2.0",
    routeKey: "GET /feed/allowlists/{file}",
    rawPath,
    rawQueryString: "",
    headers: { host: "abc123.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: {
      requestId: "req-feed-7",
      http: { method: "GET", path: rawPath, sourceIp: "198.51.100.7" },
      authorizer: { lambda: { tokenHashPrefix: "0123456789ab" } },
    },
  };
}

function handlerOver(objects = memoryArchive()) {
  return createFirewallFeedHandler({
    feed: { versions: memoryVersionStore().store, objects, catalogueIds: ["c"] },
    logger: new Logger({ serviceName: "t" }),
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the firewall feed handler", () => {
  it("answers a group's EDL under /feed, then 304 for its ETag, logging status and token", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const objects = memoryArchive();
    await objects.putIfChanged(
      allowlistKeys("mail").txt,
      new TextEncoder().encode(EDL),
      "text/plain",
    );
    const handler = handlerOver(objects);

    // Act
    const first = await handler(feedEvent("/feed/allowlists/mail.txt"), context);
    const etag = (first.headers as Record<string, string>).etag ?? "";
    const again = await handler(
      feedEvent("/feed/allowlists/mail.txt", { "if-none-match": etag }),
      context,
    );

    // Assess
    expect(first).toMatchObject({ statusCode: 200, body: EDL });
    expect(again).toMatchObject({ statusCode: 304, body: "" });
    const logged = output.logs().filter((line) => line.message === "feed request");
    expect(logged.map(({ status, tokenHashPrefix }) => ({ status, tokenHashPrefix }))).toEqual([
      { status: 200, tokenHashPrefix: "0123456789ab" },
      { status: 304, tokenHashPrefix: "0123456789ab" },
    ]);
  });

  it("answers a 500 without details when the store fails, the details in the log", async () => {
    const output = captureLambdaOutput();
    const objects = memoryArchive();
    objects.get = () => Promise.reject(new Error("bucket driftwatch-prod-bucket unreachable"));
    const handler = handlerOver(objects);

    const response = await handler(feedEvent("/feed/allowlists/mail.txt"), context);

    expect(response).toMatchObject({ statusCode: 500 });
    expect(response.body).not.toContain("driftwatch-prod-bucket");
    expect(JSON.stringify(output.logs().filter((l) => l.level === "ERROR"))).toContain(
      "driftwatch-prod-bucket",
    );
  });

  it("refuses an event that is not an HTTP API request with a generic 500", async () => {
    captureLambdaOutput();
    const response = await handlerOver()({ Records: [] }, context);

    expect(response).toMatchObject({ statusCode: 500 });
    expect(JSON.parse(`${response.body}`)).toEqual({ error: "unexpected request" });
  });
});
