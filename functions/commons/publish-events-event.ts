import { z } from "zod";
import { ScheduledEvent } from "./events";

/** A DynamoDB Streams record (the event source mapping filters INSERTs of `EVENT#…` items). */
const StreamRecord = z.object({
  eventName: z.enum(["INSERT", "MODIFY", "REMOVE"]),
  eventSource: z.literal("aws:dynamodb"),
  dynamodb: z.object({
    SequenceNumber: z.string().min(1, "expected a non-empty string"),
    NewImage: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The stream trigger of publish-events: a batch of table records. */
export const StreamEvent = z.object({ Records: z.array(StreamRecord).min(1) });
export type StreamEvent = z.output<typeof StreamEvent>;

/** Either trigger of publish-events: a stream batch or the sweep's schedule. */
export const PublishEventsEvent = z.union([StreamEvent, ScheduledEvent]);
export type PublishEventsEvent = z.input<typeof PublishEventsEvent>;
