import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createSnsClient } from "#shared/adapters/aws/sns";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createSnsNotifier } from "#shared/adapters/sns/sns-notifier";
import { loadNotifyConfig } from "#shared/notify/config";
import type { EventStore, Notifier } from "#shared/notify/ports";

export interface PublishEventsDeps {
  events: EventStore;
  notifier: Notifier;
  logger: Logger;
  metrics: Metrics;
  /** The wall clock at the boundary (tests pass a fixed one). */
  clock?: () => Date;
}

/** Builds the dependencies from the environment: config and clients once per cold start. */
export function publishEventsDepsFromEnv(
  env: Record<string, string | undefined>,
): PublishEventsDeps {
  const config = loadNotifyConfig(env);
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? "driftwatch-publish-events";
  // DynamoDB and SNS only: the bundle carries no other SDK client.
  const { documents } = createDynamoDbClients({ region: config.region });
  return {
    events: createDynamoEventStore({ documents, tableName: config.tableName }),
    notifier: createSnsNotifier({
      sns: createSnsClient({ region: config.region }),
      topicArn: config.topicArn,
    }),
    logger: new Logger({ serviceName }),
    // Alarms match metrics with the single dimension `service` (POWERTOOLS_SERVICE_NAME).
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "driftwatch",
      serviceName,
    }),
  };
}
