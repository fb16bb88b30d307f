import type { AwsClients } from "#shared/adapters/aws/clients";
import { createDynamoAllowlistStore } from "#shared/adapters/dynamodb/allowlist-store";
import { createDynamoAllowlistVersionStore } from "#shared/adapters/dynamodb/allowlist-version-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
import { DEFAULT_FAILURE_THRESHOLD, DEFAULT_UNUSED_GRACE_HOURS } from "#shared/compare/config";
import {
  type JudgeDrift,
  type JudgeDriftDeps,
  type JudgeDriftOptions,
  judgeDrift,
} from "#shared/detect/judge-drift";
import type { Notifier } from "#shared/notify/ports";

/** The AWS resources a detection cycle writes to (AWS itself or the embedded stack). */
export interface DetectionResources {
  tableName: string;
  bucketName: string;
  /**
   * The change-events topic. Omitted by a function that leaves publishing to `publish-events`
   * (its `judgeDrift` must then be created with `publish: false`).
   */
  topicArn?: string;
  historyRetentionDays?: number;
}

/** Defaults of the compare step; each can be overridden from the CLI or the environment. */
export const DEFAULT_DRIFT_OPTIONS: JudgeDriftOptions = {
  failureThreshold: DEFAULT_FAILURE_THRESHOLD,
  unusedGrace: { hours: DEFAULT_UNUSED_GRACE_HOURS },
};

/** A `judgeDrift` was asked to publish, but its stores have no topic to publish to. */
export class PublishingNotConfiguredError extends Error {
  override readonly name = "PublishingNotConfiguredError";
  constructor() {
    super("judgeDrift publishes, but no topicArn was given: pass publish: false");
  }
}

/** The clients of every store but the notifier: DynamoDB and S3. */
export type StoreClients = Pick<AwsClients, "documents" | "s3">;

/**
 * The stores of a function that leaves publishing to `publish-events` (no notifier): it needs
 * no SNS client, so its bundle carries none.
 */
export function createNonPublishingStores(
  clients: StoreClients,
  resources: Omit<DetectionResources, "topicArn">,
) {
  const { tableName, bucketName } = resources;
  return {
    observations: createDynamoObservationStore({
      documents: clients.documents,
      tableName,
      ...(resources.historyRetentionDays !== undefined
        ? { historyRetentionDays: resources.historyRetentionDays }
        : {}),
    }),
    feedPointers: createDynamoFeedPointerStore({ documents: clients.documents, tableName }),
    archive: createS3ObjectArchive({ s3: clients.s3, bucketName }),
    events: createDynamoEventStore({ documents: clients.documents, tableName }),
    allowlistState: createDynamoAllowlistStore({ documents: clients.documents, tableName }),
    allowlistVersions: createDynamoAllowlistVersionStore({
      documents: clients.documents,
      tableName,
    }),
  };
}

/** Every store adapter of a cycle, created once (at cold start in Lambda) from the clients. */
export function createDetectionStores(clients: AwsClients, resources: DetectionResources) {
  return {
    ...createNonPublishingStores(clients, resources),
    notifier:
      resources.topicArn === undefined
        ? null
        : createSnsNotifier({ sns: clients.sns, topicArn: resources.topicArn }),
  };
}

export type DetectionStores = ReturnType<typeof createDetectionStores>;

/** Stands in for SNS in a `judgeDrift` that does not publish; reaching it is a bug. */
const NOT_PUBLISHING: Notifier = {
  publish: () => Promise.reject(new PublishingNotConfiguredError()),
};

/**
 * `judgeDrift` (compare → commit → allowlists → publish) over the given stores. Throws
 * `PublishingNotConfiguredError` at once when it would publish without a topic.
 */
export function createJudgeDrift(
  stores: Pick<DetectionStores, "events" | "allowlistState" | "archive" | "notifier"> &
    Partial<Pick<DetectionStores, "allowlistVersions">>,
  options: JudgeDriftOptions = DEFAULT_DRIFT_OPTIONS,
  logger?: JudgeDriftDeps["logger"],
): JudgeDrift {
  if (options.publish !== false && stores.notifier === null) {
    throw new PublishingNotConfiguredError();
  }
  return (input) =>
    judgeDrift(
      {
        events: stores.events,
        notifier: stores.notifier ?? NOT_PUBLISHING,
        allowlists: { state: stores.allowlistState, objects: stores.archive },
        ...(stores.allowlistVersions === undefined
          ? {}
          : { allowlistVersions: stores.allowlistVersions }),
        ...(logger === undefined ? {} : { logger }),
      },
      { ...input, options },
    );
}
