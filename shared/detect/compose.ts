import type { AwsClients } from "#shared/aws/clients";
import { type RecordDriftOptions, recordDrift } from "#shared/compare/record-and-notify";
import { createDynamoAllowlistStore } from "#shared/stores/dynamodb/allowlist-store";
import { createDynamoEventStore } from "#shared/stores/dynamodb/event-store";
import { createDynamoFeedPointerStore } from "#shared/stores/dynamodb/feed-pointer-store";
import { createDynamoObservationStore } from "#shared/stores/dynamodb/observation-store";
import { createS3ObjectArchive } from "#shared/stores/s3/object-archive";
import { createSnsNotifier } from "#shared/stores/sns/sns-notifier";
import type { DriftRecorder } from "./detection-cycle";

/** The AWS resources a detection cycle writes to (AWS itself or the embedded stack). */
export interface DetectionResources {
  tableName: string;
  bucketName: string;
  topicArn: string;
  historyRetentionDays?: number;
}

/** Defaults of the compare step; each can be overridden from the CLI or the environment. */
export const DEFAULT_DRIFT_OPTIONS: RecordDriftOptions = {
  failureThreshold: 3,
  unusedGrace: { hours: 7 * 24 },
};

/** Every store adapter of a cycle, created once (at cold start in Lambda) from the clients. */
export function createDetectionStores(clients: AwsClients, resources: DetectionResources) {
  const { tableName, bucketName } = resources;
  const archive = createS3ObjectArchive({ s3: clients.s3, bucketName });
  return {
    observations: createDynamoObservationStore({
      documents: clients.documents,
      tableName,
      ...(resources.historyRetentionDays !== undefined
        ? { historyRetentionDays: resources.historyRetentionDays }
        : {}),
    }),
    feedPointers: createDynamoFeedPointerStore({ documents: clients.documents, tableName }),
    archive,
    events: createDynamoEventStore({ documents: clients.documents, tableName }),
    allowlistState: createDynamoAllowlistStore({ documents: clients.documents, tableName }),
    notifier: createSnsNotifier({ sns: clients.sns, topicArn: resources.topicArn }),
  };
}

export type DetectionStores = ReturnType<typeof createDetectionStores>;

/** The compare → commit → allowlists → publish step over the given stores. */
export function createDriftRecorder(
  stores: DetectionStores,
  options: RecordDriftOptions = DEFAULT_DRIFT_OPTIONS,
): DriftRecorder {
  return (input) =>
    recordDrift(
      {
        events: stores.events,
        notifier: stores.notifier,
        allowlists: { state: stores.allowlistState, objects: stores.archive },
      },
      { ...input, options },
    );
}
