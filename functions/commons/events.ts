import type { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";

/**
 * The trigger events of the three functions, checked at the boundary. A malformed event is
 * rejected with one `InvalidEventError` naming the first wrong field (zod's issue path) and why,
 * after one structured error log line (`eventKind`, `field`, `problem`): never a raw ZodError of
 * hundreds of characters, nor a bare SyntaxError for a message body that is not JSON.
 */

/** The trigger an event claims to come from, which picks the schema that names its wrong field. */
export type EventKind = "dynamodb-stream" | "sns" | "sqs" | "schedule" | "state-machine";

export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
  constructor(
    readonly eventKind: EventKind,
    /** Where in the event, e.g. `Records[0].dynamodb.SequenceNumber` (`(root)` for the event). */
    readonly field: string,
    readonly problem: string,
    /** Further wrong fields, not named. */
    readonly otherIssues = 0,
    options?: ErrorOptions,
  ) {
    super(
      `invalid ${eventKind} event: ${field}: ${problem}` +
        (otherIssues > 0 ? ` (+${otherIssues} more)` : ""),
      options,
    );
  }
}

export type EventLogger = Pick<Logger, "error">;

/** Logs the rejection once and returns the error to throw. */
export function rejectEvent(logger: EventLogger, error: InvalidEventError): InvalidEventError {
  logger.error("invalid event rejected", {
    eventKind: error.eventKind,
    field: error.field,
    problem: error.problem,
    ...(error.otherIssues > 0 ? { otherIssues: error.otherIssues } : {}),
  });
  return error;
}

/** `raw` as `schema` parses it, or throws `InvalidEventError` naming the first wrong field. */
export function parseEvent<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  eventKind: EventKind,
  logger: EventLogger,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues;
  const field =
    first === undefined || first.path.length === 0 ? "(root)" : z.core.toDotPath(first.path);
  throw rejectEvent(
    logger,
    new InvalidEventError(eventKind, field, first?.message ?? "invalid", rest.length, {
      cause: parsed.error,
    }),
  );
}

/** Whether an event is a batch of records (DynamoDB Streams, SNS) rather than a schedule. */
export function isRecordBatch(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "Records" in raw;
}

/** A string field holding a JSON document (an SNS message body), parsed and checked by `schema`. */
export function jsonText<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, context): unknown => {
      try {
        return JSON.parse(text);
      } catch (error) {
        context.addIssue({
          code: "custom",
          message: `expected a JSON document: ${(error as Error).message}`,
        });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** An EventBridge schedule firing: `time` is the scheduled instant, with its zone. */
export const ScheduledEvent = z.object({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
  time: z.iso.datetime({
    offset: true,
    error: "expected an ISO 8601 instant with a zone, e.g. 2026-08-21T12:00:00Z",
  }),
});
export type ScheduledEvent = z.input<typeof ScheduledEvent>;

/**
 * How far ahead of the handler's clock a scheduled `time` may be. EventBridge stamps the time
 * it fires, so anything ahead is clock skew (seconds) or a forged or replayed-by-hand event: a
 * 2999 event would otherwise persist a run (and its run id) that no real schedule reaches.
 */
export const MAX_SCHEDULE_AHEAD_MS = 60 * 60 * 1000;

/** The scheduled instant, or `InvalidEventError` on `time` when it is over an hour ahead of `now`. */
export function scheduledTime(
  event: z.output<typeof ScheduledEvent>,
  now: Date,
  logger: EventLogger,
): Date {
  const time = new Date(event.time);
  const aheadMs = time.getTime() - now.getTime();
  if (aheadMs > MAX_SCHEDULE_AHEAD_MS) {
    throw rejectEvent(
      logger,
      new InvalidEventError(
        "schedule",
        "time",
        `${event.time} is ${duration(aheadMs)} ahead of the handler's clock ` +
          `(${now.toISOString()}); at most ${MAX_SCHEDULE_AHEAD_MS / 60_000} min is accepted`,
      ),
    );
  }
  return time;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}
