import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoDbClients, type DynamoDbClients } from "./dynamodb";
import { createS3Client } from "./s3";
import { createSnsClient } from "./sns";
import { createSqsClient } from "./sqs";
import type { AwsTarget } from "./target";

export type { AwsTarget } from "./target";

/**
 * Every client, for the CLI and the embedded stack. A Lambda function builds only the clients it
 * calls, from the per-client modules beside this one (`./dynamodb`, `./s3`, `./sns`, `./sqs`), so
 * its bundle carries no other SDK client.
 */
export interface AwsClients extends DynamoDbClients {
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  destroy(): void;
}

export function createAwsClients(target: AwsTarget): AwsClients {
  const { dynamodb, documents } = createDynamoDbClients(target);
  const s3 = createS3Client(target);
  const sns = createSnsClient(target);
  const sqs = createSqsClient(target);
  return {
    dynamodb,
    documents,
    s3,
    sns,
    sqs,
    destroy() {
      for (const client of [documents, dynamodb, s3, sns, sqs]) client.destroy();
    },
  };
}
