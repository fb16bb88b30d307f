/** A change set cannot be published within SNS's size limit (one address's evidence is too big). */
export class NotificationTooLargeError extends Error {
  override readonly name = "NotificationTooLargeError";
  constructor(
    readonly changeSetId: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `change set ${changeSetId}: a single event needs ${bytes} bytes, more than the ${limit} an ` +
        "SNS message may carry, and cannot be split further",
    );
  }
}

/** Publishing a change set to the notifier failed; the change set stays pending for a retry. */
export class PublishError extends Error {
  override readonly name = "PublishError";
  constructor(
    readonly changeSetId: string,
    readonly part: number,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`change set ${changeSetId}, part ${part}: publish failed${reason}`, options);
  }
}

/** A stored change-event or change-set item does not have the expected shape. */
export class EventRecordError extends Error {
  override readonly name = "EventRecordError";
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${reason}`, options);
  }
}

/** An environment variable the notify functions need is missing or malformed. */
export class NotifyConfigError extends Error {
  override readonly name = "NotifyConfigError";
  constructor(
    readonly variables: string[],
    message: string,
  ) {
    super(message);
  }
}
