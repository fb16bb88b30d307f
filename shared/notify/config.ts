import { z } from "zod";
import { type Env, readVariable } from "#shared/config/env";
import { NotifyConfigError } from "./errors";

export interface NotifyConfig {
  tableName: string;
  topicArn: string;
  bucketName: string;
  region: string;
}

const TableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, "must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)");
const TopicArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?$/,
    "must be an SNS topic ARN",
  );
const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 of a-z 0-9 . -)");
const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-west-1");

/**
 * Reads the notify configuration once, at start-up, and names every missing or malformed
 * variable (`NotifyConfigError`). No defaults: each of these changes where data goes.
 *
 * - DRIFTWATCH_TABLE_NAME: the driftwatch table (change events, sequences, allowlist state).
 * - DRIFTWATCH_TOPIC_ARN: the change-events SNS topic.
 * - DRIFTWATCH_BUCKET_NAME: the bucket of the allowlist files.
 * - AWS_REGION: set by Lambda.
 */
export function loadNotifyConfig(env: Env): NotifyConfig {
  const fields = {
    tableName: ["DRIFTWATCH_TABLE_NAME", TableName],
    topicArn: ["DRIFTWATCH_TOPIC_ARN", TopicArn],
    bucketName: ["DRIFTWATCH_BUCKET_NAME", BucketName],
    region: ["AWS_REGION", Region],
  } as const;
  const problems: string[] = [];
  const bad: string[] = [];
  const config: Record<string, string> = {};
  for (const [field, [name, schema]] of Object.entries(fields)) {
    const raw = readVariable(env, name);
    if (raw === undefined) {
      bad.push(name);
      problems.push(`${name} is required`);
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      bad.push(name);
      problems.push(
        `${name} ${parsed.error.issues[0]?.message ?? "is malformed"}, got ${JSON.stringify(raw)}`,
      );
      continue;
    }
    config[field] = parsed.data;
  }
  if (bad.length > 0) {
    throw new NotifyConfigError(bad, `invalid notify configuration: ${problems.join("; ")}`);
  }
  return config as unknown as NotifyConfig;
}
