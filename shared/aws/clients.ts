import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Where the AWS clients point: AWS itself (no endpoint) or the embedded/test stack
 * (dynalite for DynamoDB, fauxqs for SNS/SQS/S3).
 */
export interface AwsTarget {
  region: string;
  dynamodbEndpoint?: string;
  /** fauxqs serves SNS, SQS and S3 on one endpoint. */
  messagingEndpoint?: string;
  /** Static credentials for the local stack; AWS uses the default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface AwsClients {
  dynamodb: DynamoDBClient;
  /** Document client with `removeUndefinedValues`: the one every DynamoDB adapter uses. */
  documents: DynamoDBDocumentClient;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  destroy(): void;
}

export function createAwsClients(target: AwsTarget): AwsClients {
  const base = {
    region: target.region,
    ...(target.credentials ? { credentials: target.credentials } : {}),
  };
  const messaging = target.messagingEndpoint ? { endpoint: target.messagingEndpoint } : {};
  const dynamodb = new DynamoDBClient({
    ...base,
    ...(target.dynamodbEndpoint ? { endpoint: target.dynamodbEndpoint } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({
    ...base,
    ...messaging,
    ...(target.messagingEndpoint ? { forcePathStyle: true } : {}),
  });
  const sns = new SNSClient({ ...base, ...messaging });
  const sqs = new SQSClient({ ...base, ...messaging });
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
