import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createEc2Client } from "#shared/adapters/aws/ec2";
import { createS3Client } from "#shared/adapters/aws/s3";
import { createEc2PrefixLists } from "#shared/adapters/ec2/prefix-lists";
import { createS3AllowlistEntries } from "#shared/adapters/s3/allowlist-entries";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { loadPrefixListSyncConfig } from "#shared/notify/prefix-lists/config";
import type { AllowlistEntries, PrefixLists } from "#shared/notify/prefix-lists/ports";
import type { SyncPrefixListsOptions } from "#shared/notify/prefix-lists/sync-prefix-lists";

export interface SyncPrefixListsDepsForHandler {
  prefixLists: PrefixLists;
  allowlists: AllowlistEntries;
  options: SyncPrefixListsOptions;
  logger: Logger;
  metrics: Metrics;
  sleep?: (ms: number) => Promise<void>;
}

/** Builds the dependencies from the environment: config and clients once per cold start. */
export function syncPrefixListsDepsFromEnv(
  env: Record<string, string | undefined>,
): SyncPrefixListsDepsForHandler {
  const config = loadPrefixListSyncConfig(env);
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-sync-prefix-lists";
  // EC2 and S3 only: the bundle carries no other SDK client.
  const ec2 = createEc2Client({
    region: config.region,
    ...(env.AWS_ENDPOINT_URL_EC2 ? { ec2Endpoint: env.AWS_ENDPOINT_URL_EC2 } : {}),
  });
  const s3 = createS3Client({ region: config.region });
  return {
    prefixLists: createEc2PrefixLists({ ec2, stage: config.stage }),
    allowlists: createS3AllowlistEntries(
      createS3ObjectArchive({ s3, bucketName: config.bucketName }),
    ),
    options: { dryRun: config.dryRun, limits: config.limits },
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "driftwatch",
      serviceName,
    }),
  };
}
