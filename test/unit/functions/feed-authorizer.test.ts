import { Logger } from "@aws-lambda-powertools/logger";
import { GetParameterCommand, SSMClient, SSMServiceException } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { feedAuthorizerDepsFromEnv } from "#functions/commons/feed-authorizer-deps";
import { createFeedAuthorizerHandler, handler } from "#functions/feed-authorizer";
import { createSsmFeedTokenHashes } from "#shared/adapters/ssm/feed-token-hashes";
import { createFeedAuthorizer } from "#shared/query/firewall-feed/feed-authorization";
import { hashFeedToken } from "#shared/query/firewall-feed/feed-token";
import { feedAuthorizerEvent } from "#test/helpers/http-api-events";
import { lambdaContext } from "#test/helpers/lambda-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";

/**
 * The feed authorizer in its middy chain, over the real SSM adapter with SSM mocked
 * (aws-sdk-client-mock): which Authorization headers it lets in, that it reads the parameter
 * decrypted and keeps it for the cache period, and that every failure is a logged deny.
 */

const PARAMETER = "/driftwatch/prod/feed-token-sha256";
const TOKEN = "K7x0bq2LwA9tQzV4mN8rYc3d";
const NEXT_TOKEN = "rotated-in-7Hc2pQ9sW4eT1uZ6";
const ENV = {
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  DRIFTWATCH_FEED_TOKEN_PARAMETER: PARAMETER,
  DRIFTWATCH_FEED_TOKEN_CACHE_SECONDS: "300",
  POWERTOOLS_SERVICE_NAME: "driftwatch-test",
};
const context = lambdaContext({ functionName: "driftwatch-test-feedAuthorizer" });
const ssm = mockClient(SSMClient);

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, token: string) =>
  `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;

function storedHashes(value: string) {
  ssm.on(GetParameterCommand, { Name: PARAMETER, WithDecryption: true }).resolves({
    Parameter: { Name: PARAMETER, Type: "SecureString", Value: value, Version: 3 },
  });
}

function ssmError(name: string, status: number) {
  return new SSMServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: `${name} (test)`,
  });
}

function authorizerFromEnv() {
  return createFeedAuthorizerHandler(feedAuthorizerDepsFromEnv(ENV));
}

beforeEach(() => {
  ssm.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the feed authorizer", () => {
  it("lets in a bearer token and a basic password whose sha256 the parameter lists", async () => {
    // Prepare
    const output = captureLambdaOutput();
    storedHashes(hashFeedToken(TOKEN));
    const authorize = authorizerFromEnv();

    // Act
    const asBearer = await authorize(feedAuthorizerEvent(bearer(TOKEN)), context);
    const asBasic = await authorize(feedAuthorizerEvent(basic("panos-edl", TOKEN)), context);

    // Assess
    const prefix = hashFeedToken(TOKEN).slice(0, 12);
    expect(asBearer).toEqual({ isAuthorized: true, context: { tokenHashPrefix: prefix } });
    expect(asBasic).toEqual({ isAuthorized: true, context: { tokenHashPrefix: prefix } });
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: PARAMETER,
      WithDecryption: true,
    });
    const allowed = output.logs().filter((line) => line.message === "feed request allowed");
    expect(allowed.map((line) => line.sourceIp)).toEqual(["198.51.100.7", "198.51.100.7"]);
    expect(JSON.stringify(output.logs())).not.toContain(TOKEN);
  });

  it("denies a wrong token, a missing header, another scheme and malformed base64, logging why", async () => {
    // Prepare
    const output = captureLambdaOutput();
    storedHashes(hashFeedToken(TOKEN));
    const authorize = authorizerFromEnv();
    const headers = [
      bearer("not-the-token"),
      basic("panos-edl", "not-the-token"),
      undefined,
      `Digest ${TOKEN}`,
      "Basic %%%not-base64%%%",
      `Basic ${Buffer.from(TOKEN).toString("base64")}`,
    ];

    // Act
    const answers = [];
    for (const header of headers)
      answers.push(await authorize(feedAuthorizerEvent(header), context));

    // Assess
    expect(answers).toEqual(headers.map(() => ({ isAuthorized: false })));
    const denied = output.logs().filter((line) => line.message === "feed request denied");
    expect(denied.map((line) => [line.level, line.reason])).toEqual([
      ["WARN", "wrong-token"],
      ["WARN", "wrong-token"],
      ["WARN", "no-token"],
      ["WARN", "no-token"],
      ["WARN", "no-token"],
      ["WARN", "no-token"],
    ]);
    expect(JSON.stringify(output.logs())).not.toContain("not-the-token");
  });

  it("lets in the old and the new token while both are listed, only the new one after", async () => {
    // Prepare
    captureLambdaOutput();
    storedHashes(`${hashFeedToken(TOKEN)}\nsha256:${hashFeedToken(NEXT_TOKEN)}`);
    const whileBoth = authorizerFromEnv();
    const duringAnswers = [
      await whileBoth(feedAuthorizerEvent(bearer(TOKEN)), context),
      await whileBoth(feedAuthorizerEvent(basic("fgt", NEXT_TOKEN)), context),
    ];
    storedHashes(hashFeedToken(NEXT_TOKEN));
    const afterRemoval = authorizerFromEnv();

    // Act
    const afterAnswers = [
      await afterRemoval(feedAuthorizerEvent(bearer(TOKEN)), context),
      await afterRemoval(feedAuthorizerEvent(bearer(NEXT_TOKEN)), context),
    ];

    // Assess
    expect(duringAnswers.map((answer) => answer.isAuthorized)).toEqual([true, true]);
    expect(afterAnswers.map((answer) => answer.isAuthorized)).toEqual([false, true]);
  });

  it.each([
    ["throttled", ssmError("ThrottlingException", 400)],
    ["denied", ssmError("AccessDeniedException", 400)],
    ["missing", ssmError("ParameterNotFound", 400)],
    ["KMS refusing to decrypt", ssmError("InvalidKeyId", 400)],
    ["down", ssmError("InternalServerError", 500)],
  ])("denies every request when SSM is %s, and logs the error", async (_case, error) => {
    // Prepare
    const output = captureLambdaOutput();
    ssm.on(GetParameterCommand).rejects(error);
    const authorize = authorizerFromEnv();

    // Act
    const answer = await authorize(feedAuthorizerEvent(bearer(TOKEN)), context);

    // Assess
    expect(answer).toEqual({ isAuthorized: false });
    const [logged] = output.logs().filter((line) => line.level === "ERROR");
    expect(logged?.message).toBe("feed request denied: the token hashes could not be read");
    expect(logged?.detail).toBe(
      `FeedTokenParameterError: SSM parameter ${PARAMETER}: read failed (${error.name})`,
    );
  });

  it("denies every request when the parameter is not a hash list (a typo accepts no token)", async () => {
    // Prepare
    const output = captureLambdaOutput();
    storedHashes(`${hashFeedToken(TOKEN)},${TOKEN}`);
    const authorize = authorizerFromEnv();

    // Act
    const answer = await authorize(feedAuthorizerEvent(bearer(TOKEN)), context);

    // Assess
    expect(answer).toEqual({ isAuthorized: false });
    const [logged] = output.logs().filter((line) => line.level === "ERROR");
    expect(logged?.detail).toMatch(/^TokenHashListError: entry 2 of 2 is not a sha256 hex digest/);
    expect(JSON.stringify(output.logs())).not.toContain(TOKEN);
  });

  it("denies an event that is not an authorizer request, and a failing authorizer, without throwing", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const logger = new Logger({ serviceName: "t" });
    const failing = createFeedAuthorizerHandler({
      authorize: () => Promise.reject(new Error("a bug")),
      logger,
    });
    const authorize = authorizerFromEnv();

    // Act
    const notAnEvent = await authorize({ Records: [] }, context);
    const bug = await failing(feedAuthorizerEvent(bearer(TOKEN)), context);

    // Assess
    expect(notAnEvent).toEqual({ isAuthorized: false });
    expect(bug).toEqual({ isAuthorized: false });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    expect(output.logs().map((line) => line.message)).toEqual([
      "feed request denied: not an HTTP API authorizer request",
      "feed request denied: the authorizer failed",
    ]);
  });

  it("denies every request when it is not configured (the entry point never throws)", async () => {
    // Prepare
    const output = captureLambdaOutput();
    vi.stubEnv("DRIFTWATCH_FEED_TOKEN_PARAMETER", "");

    // Act
    const answer = await handler(feedAuthorizerEvent(bearer(TOKEN)), context);

    // Assess
    vi.unstubAllEnvs();
    expect(answer).toEqual({ isAuthorized: false });
    expect(JSON.stringify(output.logs())).toContain("DRIFTWATCH_FEED_TOKEN_PARAMETER is required");
  });
});

describe("the token hash cache", () => {
  /** The authorizer over the SSM adapter, on a clock the test moves. */
  function cachedAuthorizer(cacheMs: number) {
    let now = Date.parse("2026-12-03T22:00:00Z");
    const authorize = createFeedAuthorizer({
      readTokenHashes: createSsmFeedTokenHashes({
        ssm: new SSMClient({
          region: "eu-west-1",
          credentials: { accessKeyId: "t", secretAccessKey: "t" },
        }),
        parameterName: PARAMETER,
      }),
      cacheMs,
      now: () => now,
    });
    return { authorize, advance: (ms: number) => (now += ms) };
  }

  it("reads the parameter once per cache period, and again after it", async () => {
    // Prepare
    storedHashes(hashFeedToken(TOKEN));
    const { authorize, advance } = cachedAuthorizer(300_000);

    // Act
    const first = await Promise.all([1, 2, 3].map(() => authorize(bearer(TOKEN))));
    advance(299_000);
    const cached = await authorize(bearer(TOKEN));
    const readsWithinPeriod = ssm.commandCalls(GetParameterCommand).length;
    storedHashes(hashFeedToken(NEXT_TOKEN));
    advance(2_000);
    const afterPeriod = await authorize(bearer(TOKEN));

    // Assess
    expect(first.map((answer) => answer.allowed)).toEqual([true, true, true]);
    expect(cached.allowed).toBe(true);
    expect(readsWithinPeriod).toBe(1);
    expect(afterPeriod).toEqual({ allowed: false, reason: "wrong-token" });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it("keeps no failed read: the next request asks SSM again", async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejectsOnce(ssmError("ThrottlingException", 400));
    const { authorize } = cachedAuthorizer(300_000);

    // Act
    const whileThrottled = await authorize(bearer(TOKEN));
    storedHashes(hashFeedToken(TOKEN));
    const nextRequest = await authorize(bearer(TOKEN));

    // Assess
    expect(whileThrottled).toMatchObject({ allowed: false, reason: "hashes-unavailable" });
    expect(nextRequest).toMatchObject({ allowed: true });
  });

  it("asks SSM nothing for a request without a token", async () => {
    const { authorize } = cachedAuthorizer(300_000);

    const answer = await authorize(undefined);

    expect(answer).toEqual({ allowed: false, reason: "no-token" });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });
});
