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

/** Region and credentials, the part of a client's configuration every client shares. */
export function baseClientConfig(target: AwsTarget) {
  return {
    region: target.region,
    ...(target.credentials ? { credentials: target.credentials } : {}),
  };
}

/** The messaging endpoint (fauxqs), for the SNS, SQS and S3 clients. */
export function messagingClientConfig(target: AwsTarget) {
  return {
    ...baseClientConfig(target),
    ...(target.messagingEndpoint ? { endpoint: target.messagingEndpoint } : {}),
  };
}
