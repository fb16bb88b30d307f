import { SQSClient } from "@aws-sdk/client-sqs";
import { type AwsTarget, messagingClientConfig } from "./target";

export function createSqsClient(target: AwsTarget): SQSClient {
  return new SQSClient(messagingClientConfig(target));
}
