import { S3Client } from "@aws-sdk/client-s3";
import { type AwsTarget, messagingClientConfig } from "./target";

export function createS3Client(target: AwsTarget): S3Client {
  return new S3Client({
    ...messagingClientConfig(target),
    // fauxqs serves buckets by path, not by virtual host.
    ...(target.messagingEndpoint ? { forcePathStyle: true } : {}),
  });
}
