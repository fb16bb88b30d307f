import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { OutgoingNotification } from "#shared/notify/notification";
import type { Notifier } from "#shared/notify/ports";
import { toPublishInput } from "#shared/notify/sns-encoding";

/** The SNS adapter of the `Notifier` port: one Publish per notification (see sns-encoding.ts). */
export function createSnsNotifier(deps: { sns: SNSClient; topicArn: string }): Notifier {
  return {
    async publish(notification: OutgoingNotification) {
      const response = await deps.sns.send(
        new PublishCommand(toPublishInput(deps.topicArn, notification)),
      );
      return { messageId: response.MessageId ?? "", topicArn: deps.topicArn };
    },
  };
}
