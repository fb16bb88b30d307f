import { afterEach, beforeEach, vi } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * Makes a test stack look like AWS to the CLI: the SDK's endpoint and credential variables point
 * at it (stubbed; `vi.unstubAllEnvs()` in `afterEach`), and the returned environment is what an
 * operator exports for AWS mode (`openRuntime`). The CLI itself then builds plain AWS clients.
 */
export function awsModeEnv(stack: EmbeddedStack): NodeJS.ProcessEnv {
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", stack.dynamodbEndpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_S3", stack.messagingEndpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  return {
    AWS_REGION: stack.region,
    DRIFTWATCH_TABLE_NAME: stack.tableName,
    DRIFTWATCH_BUCKET_NAME: stack.bucketName,
  };
}

/**
 * A fresh test stack posing as AWS for each test of the enclosing `describe` (started in
 * `beforeEach`, stopped and the variables restored in `afterEach`). Read it inside a test.
 */
export function useAwsModeStack(): {
  readonly stack: EmbeddedStack;
  readonly env: NodeJS.ProcessEnv;
} {
  let current: { stack: EmbeddedStack; env: NodeJS.ProcessEnv } | undefined;
  beforeEach(async () => {
    const stack = await startTestStack();
    current = { stack, env: awsModeEnv(stack) };
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await current?.stack.stop();
    current = undefined;
  });
  const started = () => {
    if (current === undefined) throw new Error("useAwsModeStack: read it inside a test");
    return current;
  };
  return {
    get stack() {
      return started().stack;
    },
    get env() {
      return started().env;
    },
  };
}
