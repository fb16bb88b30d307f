import { vi } from "vitest";
import type { EmbeddedStack } from "#shared/local/embedded-stack";

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
