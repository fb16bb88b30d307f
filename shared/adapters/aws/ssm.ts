import { SSMClient } from "@aws-sdk/client-ssm";
import { type AwsTarget, baseClientConfig } from "./target";

/**
 * SSM Parameter Store, for the firewall feed's authorizer only (no local emulator: tests mock
 * it). Two attempts: the authorizer answers a poller within API Gateway's wait, and a failed read
 * denies (fails closed) rather than retrying for long.
 */
export function createSsmClient(target: AwsTarget): SSMClient {
  return new SSMClient({ ...baseClientConfig(target), maxAttempts: 2 });
}
