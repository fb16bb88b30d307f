import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createPublishEventsHandler,
  PublishSweepError,
  type StreamResponse,
  type SweepResponse,
} from "#functions/publish-events";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { Notifier } from "#shared/notify/ports";
import { changeSetIdOf } from "#shared/record/change-set";
import { commitDriftEvents } from "#shared/record/commit-drift-events";
import { captureLambdaOutput } from "#test/helpers/lambda-output";
import { expectValidNotifications } from "#test/helpers/notify-schema";
import { drainQueue, notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { driftInput, HOSTS, NOW, observation } from "#test/helpers/verdict-fixtures";

const PINNED = "endpoint:appliance-online-help/clearswifhelp.clearswift.com";
const MPKI = "endpoint:swisssign-mpki-interface/ra.swisssign.net";

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "driftwatch-test-publishEvents",
  functionVersion: "$LATEST",
  invokedFunctionArn:
    "arn:aws:lambda:us-east-1:123456789012:function:driftwatch-test-publishEvents",
  memoryLimitInMB: "256",
  awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
  logGroupName: "/aws/lambda/driftwatch-test-publishEvents",
  logStreamName: "2026/08/21/[$LATEST]abcdef",
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** Commits two change sets (the pinned host and the hostname-only host moved). */
async function commitTwoChangeSets(stack: EmbeddedStack) {
  const deps = notifyDeps(stack);
  const events = evaluateDrift(
    driftInput([
      observation(HOSTS.pinned, { active: ["3.10.94.193"], entered: ["3.10.94.200"] }),
      observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"], entered: ["41.92.10.21"] }),
    ]),
  );
  await commitDriftEvents(deps, {
    events,
    runId: "run-1",
    catalogueId: "clearswift-seg-5.3",
    now: NOW,
  });
  return events;
}

/** The DynamoDB Streams event Lambda would receive for these items' INSERTs. */
async function streamEventFor(stack: EmbeddedStack, keys: { pk: string; sk: string }[]) {
  const records = [];
  for (const [i, key] of keys.entries()) {
    const { Item } = await stack.clients.dynamodb.send(
      new GetItemCommand({
        TableName: stack.tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      }),
    );
    records.push({
      eventID: `e${i}`,
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      dynamodb: {
        Keys: { pk: { S: key.pk }, sk: { S: key.sk } },
        NewImage: Item,
        SequenceNumber: String(1000 + i),
        SizeBytes: 512,
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/driftwatch/stream/2026",
    });
  }
  return { Records: records };
}

function handlerWith(stack: EmbeddedStack, wrap?: (notifier: Notifier) => Notifier) {
  const deps = notifyDeps(stack, wrap);
  return createPublishEventsHandler({
    events: deps.events,
    notifier: deps.notifier,
    logger: new Logger({ serviceName: "driftwatch-test", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "driftwatch-test", serviceName: "driftwatch-test" }),
    clock: () => new Date(NOW.getTime() + 60_000),
  });
}

const failingFor =
  (subject: string) =>
  (notifier: Notifier): Notifier => ({
    async publish(notification) {
      if (notification.body.subject.key === subject) throw new Error("SNS throttled");
      return notifier.publish(notification);
    },
  });

describe("publish-events Lambda", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await stack.stop();
  });

  it("publishes the change sets of new stream records and reports the records it could not publish", async () => {
    // Prepare
    const events = await commitTwoChangeSets(stack);
    const event = await streamEventFor(
      stack,
      events.map((e) => ({ pk: `EVENT#${e.eventId}`, sk: "EVENT" })),
    );
    const handler = handlerWith(stack, failingFor(PINNED));
    const pinnedRecord = event.Records.find((r) => r.dynamodb.NewImage?.subjectKey?.S === PINNED)
      ?.dynamodb.SequenceNumber;

    // Act
    const response = (await handler(event, context)) as StreamResponse;
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: pinnedRecord }] });
    expect(delivered.map((d) => d.notification.subject.key)).toEqual([MPKI]);
    expectValidNotifications(delivered.map((d) => d.notification));
  });

  it("ignores stream records of other item kinds and of published events", async () => {
    // Prepare
    const events = await commitTwoChangeSets(stack);
    const event = await streamEventFor(stack, [{ pk: `EVENT#${events[0]?.eventId}`, sk: "EVENT" }]);
    const modify = { ...event.Records[0], eventName: "MODIFY" };
    const foreign = {
      ...event.Records[0],
      dynamodb: {
        ...event.Records[0]?.dynamodb,
        NewImage: { pk: { S: "HOST#ra.swisssign.net" }, sk: { S: "STATE" } },
      },
    };
    const handler = handlerWith(stack);

    // Act
    const response = await handler({ Records: [modify, foreign] }, context);
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivered).toEqual([]);
  });

  it("publishes a subject once for the INSERT of its change-set item and of its events, and ignores a REMOVE", async () => {
    // Prepare: the change-set item's and the event's INSERTs of the pinned host in one batch, and
    // the TTL deletion (REMOVE, no new image) of the other host's event
    const events = await commitTwoChangeSets(stack);
    const pinned = events.find((e) => e.subject.key === PINNED);
    const other = events.find((e) => e.subject.key === MPKI);
    if (pinned === undefined || other === undefined) throw new Error("fixture changed");
    const changeSetId = changeSetIdOf(PINNED, [pinned.eventId]);
    const event = await streamEventFor(stack, [
      { pk: `EVENT#${changeSetId}`, sk: "CHANGESET" },
      { pk: `EVENT#${pinned.eventId}`, sk: "EVENT" },
      { pk: `EVENT#${other.eventId}`, sk: "EVENT" },
    ]);
    const [changeSetRecord, eventRecord, otherRecord] = event.Records;
    const removed = {
      ...otherRecord,
      eventName: "REMOVE",
      dynamodb: { ...otherRecord?.dynamodb, NewImage: undefined },
    };
    const handler = handlerWith(stack);

    // Act
    const response = await handler({ Records: [changeSetRecord, eventRecord, removed] }, context);
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivered.map((d) => [d.notification.subject.key, d.notification.changeSetId])).toEqual([
      [PINNED, changeSetId],
    ]);
  });

  it("rejects an event that is neither a stream batch nor a schedule", async () => {
    // Prepare
    const handler = handlerWith(stack);

    // Act
    const outcome = await handler({ Records: [{ eventSource: "aws:sqs" }] }, context).catch(
      (error: Error) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toBe("InvalidEventError");
    expect((outcome as Error).message).toBe(
      'invalid dynamodb-stream event: Records[0].eventName: Invalid option: expected one of "INSERT"|"MODIFY"|"REMOVE" (+2 more)',
    );
  });

  it("sweeps every pending change set on the schedule", async () => {
    // Prepare
    await commitTwoChangeSets(stack);
    const handler = handlerWith(stack);
    const scheduled = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: "2026-08-21T12:01:00Z",
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:123456789012:rule/driftwatch-publish-sweep"],
      detail: {},
    };

    // Act
    const response = (await handler(scheduled, context)) as SweepResponse;
    const delivered = await drainQueue(stack, stack.inboxQueueUrl);
    const second = (await handler(scheduled, context)) as SweepResponse;

    // Assess
    expect(response).toEqual({ published: 2, changeSets: 2, oldestPendingAgeSeconds: 0 });
    expect(delivered.map((d) => d.notification.subject.key)).toEqual([PINNED, MPKI]);
    expect(second).toEqual({ published: 0, changeSets: 0, oldestPendingAgeSeconds: 0 });
  });

  it("fails the sweep, naming the change set and the SNS error, when SNS keeps failing", async () => {
    // Prepare
    await commitTwoChangeSets(stack);
    const handler = handlerWith(stack, failingFor(PINNED));
    const scheduled = {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      time: "2026-08-21T12:01:00Z",
    };

    // Act
    const outcome = await handler(scheduled, context).catch((error: Error) => error);

    // Assess
    expect(outcome).toBeInstanceOf(PublishSweepError);
    expect((outcome as PublishSweepError).failures.map((f) => f.subjectKey)).toEqual([PINNED]);
    expect((outcome as Error).message).toContain("SNS throttled");
  });

  it("counts a sweep that left a change set unpublished in PublishSweepFailures, flushed with the error", async () => {
    // Prepare
    await commitTwoChangeSets(stack);
    const output = captureLambdaOutput();
    const handler = handlerWith(stack, failingFor(PINNED));

    // Act
    const outcome = await handler(
      { source: "aws.events", "detail-type": "Scheduled Event", time: "2026-08-21T12:01:00Z" },
      context,
    ).catch((error: Error) => error);

    // Assess
    expect(outcome).toBeInstanceOf(PublishSweepError);
    expect(output.metrics()).toMatchObject({ PublishSweepFailures: 1, NotificationsPublished: 1 });
  });
});
