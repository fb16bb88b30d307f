import type { Context, ScheduledEvent } from "aws-lambda";

export interface LambdaContextFixture {
  functionName: string;
  /** Default: the ARN of `functionName`. */
  invokedFunctionArn?: string;
  memoryLimitInMB?: string;
  awsRequestId?: string;
  logStreamName?: string;
  getRemainingTimeInMillis?: () => number;
}

/** A Lambda invocation context as AWS passes it, for calling a handler directly. */
export function lambdaContext(fixture: LambdaContextFixture): Context {
  const { functionName } = fixture;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn:
      fixture.invokedFunctionArn ??
      `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: fixture.memoryLimitInMB ?? "256",
    awsRequestId: fixture.awsRequestId ?? "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: fixture.logStreamName ?? "2026/08/22/[$LATEST]abcdef",
    getRemainingTimeInMillis: fixture.getRemainingTimeInMillis ?? (() => 60_000),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The EventBridge schedule event that starts a job at `time`, fired by the rule named `rule`. */
export function scheduledEvent(
  time: string,
  rule: string,
  id = "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
) {
  return {
    version: "0",
    id,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time,
    region: "us-east-1",
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${rule}`],
    detail: {},
  } satisfies ScheduledEvent & Record<string, unknown>;
}

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * The times of a quarter-hour schedule: the last quarter hours before `now` (a schedule never
 * fires ahead), as EventBridge writes them (no milliseconds). `base` is the newest.
 */
export function quarterHourSchedule(now = Date.now()) {
  const base = Math.floor(now / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const time = (quartersAgo: number) =>
    new Date(base - quartersAgo * QUARTER_HOUR_MS).toISOString().replace(/\.000Z$/, "Z");
  return { base, time };
}
