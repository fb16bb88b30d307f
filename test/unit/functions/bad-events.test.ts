import { readFile } from "node:fs/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBStreamEvent, SNSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { InvalidEventError } from "#functions/commons/events";
import { createPublishEventsHandler, type StreamResponse } from "#functions/publish-events";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createS3Client } from "#shared/adapters/aws/s3";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { EventStore, Notifier } from "#shared/notify/ports";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { captureLambdaOutput, type LogLine } from "#test/helpers/lambda-output";

/**
 * Each handler rejects a malformed trigger event with one InvalidEventError naming the wrong field
 * and one structured error log line, before any I/O: the clients point at a closed port, so a
 * handler that went on would fail with a connection error instead.
 */

const NOW = new Date("2026-08-22T10:16:00Z");
const context = lambdaContext({ functionName: "driftwatch-test" });
const SNS_EVENT_FILE = new URL(
  "../../../fixtures/events/amazon-ip-space-changed.json",
  import.meta.url,
);

/** The one error log line of a rejected event. */
function rejectionLines(logs: LogLine[]) {
  return logs
    .filter((line) => line.level === "ERROR")
    .map(({ message, eventKind, field, problem }) => ({ message, eventKind, field, problem }));
}

async function rejection(invocation: Promise<unknown>): Promise<InvalidEventError> {
  const outcome = await invocation.then(
    () => new Error("the handler accepted the event"),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(InvalidEventError);
  return outcome as InvalidEventError;
}

let env: Record<string, string>;
let clients: ReturnType<typeof createDynamoDbClients> & { s3: ReturnType<typeof createS3Client> };

beforeAll(async () => {
  const closed = `http://127.0.0.1:${await closedLoopbackPort()}`;
  const target = {
    region: "us-east-1",
    dynamodbEndpoint: closed,
    messagingEndpoint: closed,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  clients = { ...createDynamoDbClients(target), s3: createS3Client(target) };
  env = {
    DRIFTWATCH_TABLE_NAME: "driftwatch-test",
    DRIFTWATCH_BUCKET_NAME: "driftwatch-test",
    DRIFTWATCH_CATALOGUE_ID: "clearswift-seg-5.3",
    DRIFTWATCH_DNS_SERVERS: "127.0.0.1:53",
    POWERTOOLS_SERVICE_NAME: "driftwatch-test",
  };
  // Each module builds its own handler from process.env when it loads (cold start).
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("resolve-hostnames rejects a malformed schedule", () => {
  /** The catalogue is the first thing a run reads: reaching it means the event was accepted. */
  const accepted = new Error("the event was accepted: the run read the catalogue");

  async function resolveHandler() {
    const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
    return createResolveHostnamesHandler(env, {
      clients,
      clock: () => NOW.getTime(),
      catalogueSource: () => Promise.reject(accepted),
    });
  }

  it.each([
    {
      case: "an S3 event",
      event: { source: "aws.s3", "detail-type": "Object Created", time: "2026-08-22T10:15:00Z" },
      field: "source",
      problem: 'Invalid input: expected "aws.events"',
      more: " (+1 more)",
    },
    {
      case: "a time without a zone",
      event: scheduledEvent("2026-08-22T10:15:00", "driftwatch-test-resolve"),
      field: "time",
      problem: "expected an ISO 8601 instant with a zone, e.g. 2026-08-21T12:00:00Z",
    },
    {
      case: "a time that is not a date",
      event: scheduledEvent("yesterday", "driftwatch-test-resolve"),
      field: "time",
      problem: "expected an ISO 8601 instant with a zone, e.g. 2026-08-21T12:00:00Z",
    },
    {
      case: "a time in 2999",
      event: scheduledEvent("2999-01-01T00:00:00Z", "driftwatch-test-resolve"),
      field: "time",
      problem:
        "2999-01-01T00:00:00Z is 355148 days ahead of the handler's clock " +
        "(2026-08-22T10:16:00.000Z); at most 60 min is accepted",
    },
    {
      case: "a time 61 minutes ahead",
      event: scheduledEvent("2026-08-22T11:17:00Z", "driftwatch-test-resolve"),
      field: "time",
      problem:
        "2026-08-22T11:17:00Z is 61 min ahead of the handler's clock " +
        "(2026-08-22T10:16:00.000Z); at most 60 min is accepted",
    },
  ])("rejects $case naming $field, in one log line", async ({ event, field, problem, more }) => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = await resolveHandler();

    // Act
    const error = await rejection(handler(event, context));

    // Assess
    expect(error.message).toBe(`invalid schedule event: ${field}: ${problem}${more ?? ""}`);
    expect(error).toMatchObject({ eventKind: "schedule", field, problem });
    expect(rejectionLines(output.logs())).toEqual([
      { message: "invalid event rejected", eventKind: "schedule", field, problem },
    ]);
  });

  it("accepts a schedule up to an hour ahead of its clock (skew), with an offset zone", async () => {
    // Prepare
    const handler = await resolveHandler();

    // Act
    const ahead = handler(scheduledEvent("2026-08-22T11:16:00Z", "r"), context);
    const offset = handler(scheduledEvent("2026-08-22T12:15:00+02:00", "r"), context);

    // Assess
    await expect(ahead).rejects.toBe(accepted);
    await expect(offset).rejects.toBe(accepted);
  });
});

describe("ingest-feeds rejects a malformed notification or schedule", () => {
  async function snsEvent(message: string): Promise<SNSEvent> {
    const event = JSON.parse(await readFile(SNS_EVENT_FILE, "utf8")) as SNSEvent;
    const record = event.Records[0];
    if (record === undefined) throw new Error("fixture changed");
    record.Sns.Message = message;
    return event;
  }

  async function ingestHandler() {
    const { createIngestFeedsHandler } = await import("#functions/ingest-feeds");
    return createIngestFeedsHandler(env, { clients, clock: () => NOW.getTime() });
  }

  it("names Records[0].Sns.Message when the message is not JSON, instead of a SyntaxError", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = await ingestHandler();

    // Act
    const error = await rejection(
      handler(await snsEvent("<html>Service Unavailable</html>"), context),
    );

    // Assess
    // The rest is V8's JSON.parse message ("Unexpected token '<', …" on Node 20 and 22).
    expect(error.message).toMatch(
      /^invalid sns event: Records\[0\]\.Sns\.Message: expected a JSON document: Unexpected token/,
    );
    expect(error.field).toBe("Records[0].Sns.Message");
    expect(rejectionLines(output.logs())).toEqual([
      {
        message: "invalid event rejected",
        eventKind: "sns",
        field: "Records[0].Sns.Message",
        problem: error.problem,
      },
    ]);
  });

  it("names the field of a JSON message that is not an AmazonIpSpaceChanged notification", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = await ingestHandler();
    const message = {
      "create-time": "2026-08-21T21:17:05+00:00",
      synctoken: "1787347025",
      md5: "not-a-hash",
      url: "https://ip-ranges.amazonaws.com/ip-ranges.json",
    };

    // Act
    const error = await rejection(handler(await snsEvent(JSON.stringify(message)), context));

    // Assess
    expect(error.message).toBe(
      "invalid sns event: Records[0].Sns.Message.md5: must be 32 hex digits",
    );
    expect(rejectionLines(output.logs())).toEqual([
      {
        message: "invalid event rejected",
        eventKind: "sns",
        field: "Records[0].Sns.Message.md5",
        problem: "must be 32 hex digits",
      },
    ]);
  });

  it("rejects a schedule dated 2999 instead of persisting its run", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = await ingestHandler();

    // Act
    const error = await rejection(
      handler(scheduledEvent("2999-01-01T00:00:00Z", "driftwatch-test-ingest"), context),
    );

    // Assess
    expect(error.field).toBe("time");
    expect(error.message).toMatch(
      /^invalid schedule event: time: 2999-01-01T00:00:00Z is 355148 days ahead/,
    );
    expect(rejectionLines(output.logs())).toHaveLength(1);
  });
});

describe("publish-events", () => {
  const notAtAll = () => Promise.reject(new Error("not expected in this test"));
  /** The real store on the closed port, but for the sweep's query of pending events. */
  const store = (listUnpublished: EventStore["listUnpublished"]): EventStore => ({
    ...createDynamoEventStore({ documents: clients.documents, tableName: "driftwatch-test" }),
    listUnpublished,
  });
  const notifier: Notifier = { publish: notAtAll };

  function publishHandler(events: EventStore = store(notAtAll)) {
    return createPublishEventsHandler({
      events,
      notifier,
      logger: new Logger({ serviceName: "driftwatch-test", logLevel: "DEBUG" }),
      metrics: new Metrics({ namespace: "driftwatch", serviceName: "driftwatch-test" }),
      clock: () => NOW,
    });
  }

  function insert(sequenceNumber: string, newImage: Record<string, { S: string }>) {
    return {
      eventID: `e${sequenceNumber}`,
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      dynamodb: {
        Keys: { pk: newImage.pk ?? { S: "?" }, sk: newImage.sk ?? { S: "?" } },
        NewImage: newImage,
        SequenceNumber: sequenceNumber,
        SizeBytes: 256,
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/driftwatch/stream/2026",
    } satisfies DynamoDBStreamEvent["Records"][number];
  }

  it("rejects a stream record without a sequence number, naming it", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const record = insert("", { pk: { S: "EVENT#e1" }, sk: { S: "EVENT" } });

    // Act
    const error = await rejection(publishHandler()({ Records: [record] }, context));

    // Assess
    expect(error.message).toBe(
      "invalid dynamodb-stream event: Records[0].dynamodb.SequenceNumber: expected a non-empty string",
    );
    expect(rejectionLines(output.logs())).toEqual([
      {
        message: "invalid event rejected",
        eventKind: "dynamodb-stream",
        field: "Records[0].dynamodb.SequenceNumber",
        problem: "expected a non-empty string",
      },
    ]);
  });

  it("rejects a sweep scheduled in 2999 or without a zone", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = publishHandler();

    // Act
    const future = await rejection(handler(scheduledEvent("2999-01-01T00:00:00Z", "s"), context));
    const local = await rejection(handler(scheduledEvent("2026-08-22T10:15:00", "s"), context));

    // Assess
    expect([future.field, local.field]).toEqual(["time", "time"]);
    expect(rejectionLines(output.logs()).map((line) => line.field)).toEqual(["time", "time"]);
  });

  it("reports a change-event record without a known subject, and skips other item kinds", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const event = {
      Records: [
        insert("101", { pk: { S: "EVENT#e1" }, sk: { S: "EVENT" } }),
        insert("102", { pk: { S: "EVENT#e2" }, sk: { S: "EVENT" }, subjectKey: { S: "host:x" } }),
        insert("103", { pk: { S: "HOST#ra.swisssign.net" }, sk: { S: "STATE" } }),
      ],
    };

    // Act
    const response = (await publishHandler()(event, context)) as StreamResponse;

    // Assess: retrying would bring back the same images, so no batch item failures
    expect(response).toEqual({ batchItemFailures: [] });
    const logs = output.logs();
    expect(
      logs
        .filter((line) => line.level === "ERROR")
        .map(({ message, sequenceNumber, pk, field, problem }) => ({
          message,
          sequenceNumber,
          pk,
          field,
          problem,
        })),
    ).toEqual([
      {
        message: "change-event stream record without a known subject: not published",
        sequenceNumber: "101",
        pk: "EVENT#e1",
        field: "Records[0].dynamodb.NewImage.subjectKey",
        problem: "Invalid input: expected object, received undefined",
      },
      {
        message: "change-event stream record without a known subject: not published",
        sequenceNumber: "102",
        pk: "EVENT#e2",
        field: "Records[1].dynamodb.NewImage.subjectKey.S",
        problem: "expected endpoint:…, pool:… or feed:…",
      },
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "DEBUG",
        message: "stream record skipped: not a change event",
        sequenceNumber: "103",
        pk: "HOST#ra.swisssign.net",
      }),
    );
    expect(output.metrics()).toMatchObject({ UnpublishableStreamRecords: 2 });
  });

  it("counts a sweep that throws (AccessDenied) in PublishSweepFailures, flushed with the error", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const denied = Object.assign(new Error("not authorized to perform: dynamodb:Query"), {
      name: "AccessDeniedException",
    });
    const handler = publishHandler(store(() => Promise.reject(denied)));

    // Act
    const outcome = handler(scheduledEvent("2026-08-22T10:15:00Z", "s"), context);

    // Assess
    await expect(outcome).rejects.toBe(denied);
    expect(output.metrics()).toMatchObject({ PublishSweepFailures: 1 });
    expect(output.logs()).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        message: "sweep failed",
        error: expect.objectContaining({ name: "AccessDeniedException" }),
      }),
    );
  });

  it("emits PublishSweepFailures 0 for a sweep that published everything", async () => {
    // Prepare
    const output = captureLambdaOutput();
    const handler = publishHandler(store(async () => []));

    // Act
    await handler(scheduledEvent("2026-08-22T10:15:00Z", "s"), context);

    // Assess
    expect(output.metrics()).toMatchObject({
      PublishSweepFailures: 0,
      OldestUnpublishedEventAgeSeconds: 0,
    });
  });
});
