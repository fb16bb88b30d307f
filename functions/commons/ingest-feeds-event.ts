import { z } from "zod";
import { AmazonIpSpaceChangedMessage } from "#shared/observe/feeds/schema";
import { jsonText, ScheduledEvent } from "./events";

/** An AmazonIpSpaceChanged notification, delivered by SNS (its message is a JSON document). */
export const SnsEvent = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal("aws:sns"),
        Sns: z.object({ TopicArn: z.string(), Message: jsonText(AmazonIpSpaceChangedMessage) }),
      }),
    )
    .min(1),
});
export type SnsEvent = z.output<typeof SnsEvent>;

/** Either trigger of ingest-feeds: an AmazonIpSpaceChanged notification or the hourly schedule. */
export const IngestFeedsEvent = z.union([SnsEvent, ScheduledEvent]);
export type IngestFeedsEvent = z.input<typeof IngestFeedsEvent>;
