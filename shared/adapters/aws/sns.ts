import { SNSClient } from "@aws-sdk/client-sns";
import { type AwsTarget, messagingClientConfig } from "./target";

export function createSnsClient(target: AwsTarget): SNSClient {
  return new SNSClient(messagingClientConfig(target));
}
