import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { DynamoDBRecord, DynamoDBStreamEvent, SNSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import {
  type AwsCallRecorder,
  type RecordedAwsCall,
  startAwsCallRecorder,
} from "#test/helpers/aws-call-recorder";
import { withDocumentSource } from "#test/helpers/catalogue-revision";
import { at, type CfnTemplate, TEST_DEPLOYMENT } from "#test/helpers/cfn-template";
import { readAwsIpRanges, readCloudFront } from "#test/helpers/feed-fixtures";
import { type FeedServer, jsonRoute, startFeedServer } from "#test/helpers/feed-server";
import { httpApiGet } from "#test/helpers/http-api-events";
import {
  type Authorization,
  type Caller,
  createIamModel,
  describeVerdict,
  type IamModel,
  type LocalBindings,
  type SimulationVerdict,
  uniqueAuthorizations,
} from "#test/helpers/iam-simulation";
import { quarterHourSchedule, scheduledEvent } from "#test/helpers/lambda-events";
import { type Delivered, drainQueue, subscribeQueue } from "#test/helpers/notify-stack";
import {
  functionEnvironment,
  invokeBundle,
  type PackagedService,
  packageService,
} from "#test/helpers/packaged-service";
import { startTestStack } from "#test/helpers/stack";
import { insertRecordsFor, streamBatches } from "#test/helpers/stream-records";

/**
 * The AWS path, proven on the packaged bundles. The service is packaged once (`serverless
 * package`, prod stage), and each function's bundled `.mjs` runs in its own Node process through
 * real scenarios against dynalite, fauxqs, a loopback DNS server and a loopback feed server, its
 * AWS calls going through a recording proxy:
 *
 * 1. ingest on the hourly schedule (the first snapshots), one resolve run (the baseline);
 * 2. ingest on an AmazonIpSpaceChanged notification (CloudFront publishes one more edge range,
 *    relevant to product-updates), then the same notification redelivered;
 * 3. publish-events fed the DynamoDB Streams batches of the change-event items in the table
 *    (dynalite has no Streams: built from a scan, in the mapping's filter and batch size), then
 *    the same batches replayed;
 * 4. a second resolve run on the changed zone (fixtures/dns/clearswift-v2.zone: a pinned host
 *    moved, among others) and a scheduled ingest that finds the vendor's page (the catalogue's
 *    document.source, baselined by the first scheduled ingest) revised; the sweep publishes
 *    their change sets before the stream trigger arrives, then the late stream batches, then a
 *    sweep with nothing left.
 *
 * Every change set must reach each subscribed queue (filter policies in fauxqs) exactly once,
 * every body valid against schema/drift-notification.schema.json. Then every recorded call is
 * simulated with @cloud-copilot/iam-simulate against that function's role and the resource
 * policies of the generated template, intrinsics resolved to one deployment's ARNs: any deny
 * fails. Log writes are not recorded (no CloudWatch Logs locally), nor what Lambda itself does
 * with the role (reading the stream, sending to the failure queues): template.test.ts checks those.
 *
 * fauxqs names its topic `arn:aws:sns:us-east-1:000000000000:driftwatch-events`, which is not
 * the template's ARN (another account, region and name): the functions are given the local
 * resources in place of the template's (Table, Bucket, ChangeEventsTopic), and each recorded
 * call is mapped back to the logical resource it stands for before it is simulated; a call to
 * anything else fails.
 */

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const DEPLOYMENT = TEST_DEPLOYMENT;
const RESOLVE = "ResolveHostnamesLambdaFunction";
const INGEST = "IngestFeedsLambdaFunction";
const PUBLISH = "PublishEventsLambdaFunction";
const AUDIT = "AuditApiLambdaFunction";
const FEED = "FirewallFeedLambdaFunction";
const FUNCTIONS = [RESOLVE, INGEST, PUBLISH, AUDIT, FEED];
const STREAM_MAPPING = "PublishEventsEventSourceMappingDynamodbTable";

/** CloudFront edge range added by the notified feed change (relevant to product-updates). */
const NEW_EDGE_RANGE = "3.172.0.0/18";

let service: PackagedService;
let template: CfnTemplate;
let iam: IamModel;
let stack: EmbeddedStack;
let dns: ZoneDnsServer;
let feeds: FeedServer;
let bindings: LocalBindings;
const recorders = new Map<string, AwsCallRecorder>();

/** What the feed server answers for each feed and the vendor's page; the scenario moves it on. */
const served: {
  awsIpRanges: Uint8Array;
  cloudfront: Uint8Array;
  version: string;
  page: string;
} = {
  awsIpRanges: new Uint8Array(),
  cloudfront: new Uint8Array(),
  version: "",
  page: "<html><body><h1>Ports</h1><p>products.clearswift.net 443</p></body></html>",
};

async function startFeeds(): Promise<FeedServer> {
  return startFeedServer({
    "/ip-ranges.json": (request, response) =>
      jsonRoute(served.awsIpRanges, `"aws-${served.version}"`)(request, response),
    "/tools/list-cloudfront-ips": (request, response) =>
      jsonRoute(served.cloudfront, `"cloudfront-${served.version}"`)(request, response),
    "/ports": (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end(served.page);
    },
  });
}

/** Runs a function's bundle once (a cold start) with the template's environment, made local. */
async function invoke(functionId: string, event: unknown): Promise<unknown> {
  const recorder = recorders.get(functionId);
  if (recorder === undefined) throw new Error(`no recorder for ${functionId}`);
  const environment = {
    ...functionEnvironment(template, functionId, {
      Table: stack.tableName,
      Bucket: stack.bucketName,
      ChangeEventsTopic: stack.topicArn,
    }),
    // The loopback servers instead of the public resolvers and feeds.
    ...(functionId === RESOLVE ? { DRIFTWATCH_DNS_SERVERS: dns.address } : {}),
    ...(functionId === INGEST
      ? {
          DRIFTWATCH_AWS_IP_RANGES_URL: feeds.url("/ip-ranges.json"),
          DRIFTWATCH_CLOUDFRONT_URL: feeds.url("/tools/list-cloudfront-ips"),
        }
      : {}),
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    ...recorder.environment,
  };
  return (await invokeBundle(service, functionId, event, environment)).result;
}

/** One invocation per event, in order (a shard's batches are delivered one after another). */
async function invokeInTurn(functionId: string, events: unknown[]): Promise<unknown[]> {
  const responses: unknown[] = [];
  for (const event of events) responses.push(await invoke(functionId, event));
  return responses;
}

const schedule = quarterHourSchedule();
function scheduledAt(quartersAgo: number, rule: string) {
  return scheduledEvent(schedule.time(quartersAgo), `driftwatch-prod-${rule}`);
}

async function amazonIpSpaceChanged(): Promise<SNSEvent> {
  const file = join(REPO_ROOT, "fixtures/events/amazon-ip-space-changed.json");
  return JSON.parse(await readFile(file, "utf8")) as SNSEvent;
}

function streamBatchSize(): number {
  return Number(at(template.Resources[STREAM_MAPPING]?.Properties, "BatchSize"));
}

function recordKey(record: DynamoDBRecord): string {
  return `${record.dynamodb?.Keys?.pk?.S} ${record.dynamodb?.Keys?.sk?.S}`;
}

/**
 * The INSERT batches the table's stream mapping would deliver for its EVENT# items (its filter
 * pattern, its batch size), sequence numbers from `firstSequence`.
 */
async function streamBatchesOfTable(firstSequence?: bigint): Promise<DynamoDBStreamEvent[]> {
  const mapping = template.Resources[STREAM_MAPPING]?.Properties;
  const pattern = JSON.parse(`${at(mapping, "FilterCriteria", "Filters", 0, "Pattern")}`);
  const pkPrefix = at(pattern, "dynamodb", "NewImage", "pk", "S", 0, "prefix");
  expect(at(pattern, "eventName")).toEqual(["INSERT"]);
  const records = await insertRecordsFor({
    dynamodb: stack.clients.dynamodb,
    tableName: stack.tableName,
    streamArn: `${iam.resolver.resolve(at(mapping, "EventSourceArn"))}`,
    region: DEPLOYMENT.region,
    pkPrefix: `${pkPrefix}`,
    ...(firstSequence === undefined ? {} : { firstSequence }),
  });
  return streamBatches(records, streamBatchSize());
}

/** Subscriptions with filter policies on the attributes fauxqs matches (String ones). */
const SUBSCRIBERS = {
  everything: undefined,
  productUpdates: { group: ["product-updates"] },
  highSeverity: { severity: ["high"] },
} as const;
type Subscriber = keyof typeof SUBSCRIBERS;
const queues = new Map<Subscriber, string>();

/** What each step delivered to each queue. */
const deliveredBySteps: { step: string; delivered: Record<Subscriber, Delivered[]> }[] = [];
const results: Record<string, unknown> = {};

async function step(name: string, act: () => Promise<unknown>): Promise<void> {
  results[name] = await act();
  const delivered = {} as Record<Subscriber, Delivered[]>;
  for (const [subscriber, url] of queues) delivered[subscriber] = await drainQueue(stack, url);
  deliveredBySteps.push({ step: name, delivered });
}

function deliveredTo(subscriber: Subscriber, steps?: string[]): Delivered[] {
  return deliveredBySteps
    .filter((s) => steps === undefined || steps.includes(s.step))
    .flatMap((s) => s.delivered[subscriber]);
}

/** The change-set items in the table at the end: id and state. */
let changeSets: { changeSetId: string; state: string }[] = [];

beforeAll(async () => {
  // Prepare: package, start the stack, the zone server and the feed server, import the catalogue.
  const [packaged, started, zone, feedServer, awsIpRanges, cloudfront] = await Promise.all([
    packageService({ stage: "prod", region: DEPLOYMENT.region }),
    startTestStack(),
    startZoneDnsServer({ zoneFile: join(REPO_ROOT, "fixtures/dns/clearswift.zone") }),
    startFeeds(),
    readAwsIpRanges("2026-08-21-18-57-05"),
    readCloudFront(),
  ]);
  service = packaged;
  template = packaged.template as CfnTemplate;
  iam = createIamModel(template, DEPLOYMENT);
  stack = started;
  dns = zone;
  feeds = feedServer;
  Object.assign(served, { awsIpRanges, cloudfront, version: "1" });
  bindings = {
    tables: { [stack.tableName]: "Table" },
    buckets: { [stack.bucketName]: "Bucket" },
    topics: { [stack.topicArn]: "ChangeEventsTopic" },
  };
  await createDynamoDbCatalogueStore({
    documents: stack.clients.documents,
    tableName: stack.tableName,
  }).importCatalogue(
    withDocumentSource(await loadCatalogueFile(), feeds.url("/ports")),
    new Date(),
  );
  for (const id of FUNCTIONS) {
    recorders.set(
      id,
      await startAwsCallRecorder({
        dynamodb: stack.dynamodbEndpoint,
        messaging: stack.messagingEndpoint,
      }),
    );
  }
  for (const subscriber of Object.keys(SUBSCRIBERS) as Subscriber[]) {
    queues.set(subscriber, subscribeQueue(stack, `e2e-${subscriber}`, SUBSCRIBERS[subscriber]));
  }
  await drainQueue(stack, stack.inboxQueueUrl);

  // Act
  // 1. The first snapshots, and the baseline run.
  await step("ingest on schedule", () => invoke(INGEST, scheduledAt(3, "ingest-feeds")));
  await step("resolve, baseline", () => invoke(RESOLVE, scheduledAt(3, "resolve")));
  // 2. AWS announces the next ip-ranges.json; CloudFront publishes one more edge range.
  const list = JSON.parse(new TextDecoder().decode(cloudfront)) as Record<string, string[]>;
  list.CLOUDFRONT_GLOBAL_IP_LIST?.push(NEW_EDGE_RANGE);
  Object.assign(served, {
    awsIpRanges: await readAwsIpRanges("2026-08-21-21-17-05"),
    cloudfront: new TextEncoder().encode(JSON.stringify(list)),
    version: "2",
  });
  const notification = await amazonIpSpaceChanged();
  await step("ingest on notification", () => invoke(INGEST, notification));
  await step("ingest on redelivery", () => invoke(INGEST, notification));
  // 3. The stream delivers the committed change events, and delivers them again.
  const firstBatches = await streamBatchesOfTable();
  await step("stream", () => invokeInTurn(PUBLISH, firstBatches));
  await step("stream replay", () => invokeInTurn(PUBLISH, firstBatches));
  // 4. The zone changes; the sweep gets there before the stream trigger.
  dns.reload(await readFile(join(REPO_ROOT, "fixtures/dns/clearswift-v2.zone"), "utf8"));
  await step("resolve, changed zone", () => invoke(RESOLVE, scheduledAt(2, "resolve")));
  served.page = served.page.replace("</p>", "</p><p>telemetry.clearswift.com 443</p>");
  await step("ingest on schedule, page revised", () =>
    invoke(INGEST, scheduledAt(2, "ingest-feeds")),
  );
  await step("sweep", () => invoke(PUBLISH, scheduledAt(1, "publish-sweep")));
  // The stream carries the INSERTs written since the first batches, numbered after them.
  const seen = new Set(firstBatches.flatMap((b) => b.Records.map(recordKey)));
  const lastSequence = firstBatches.at(-1)?.Records.at(-1)?.dynamodb?.SequenceNumber;
  const written = (await streamBatchesOfTable(BigInt(lastSequence ?? 0) + 1n)).flatMap(
    (b) => b.Records,
  );
  const lateRecords = written.filter((r) => !seen.has(recordKey(r)));
  await step("late stream", () =>
    invokeInTurn(PUBLISH, streamBatches(lateRecords, streamBatchSize())),
  );
  await step("sweep, nothing left", () => invoke(PUBLISH, scheduledAt(0, "publish-sweep")));
  // 5. An auditor asks the audit API every question about what the runs wrote.
  await step("audit API", () => askAuditApi());
  // 6. A firewall polls the feed (behind its authorizer, which is not part of this scenario).
  await step("firewall feed", () => askFirewallFeed());
  changeSets = (await streamBatchesOfTable())
    .flatMap((b) => b.Records.map((r) => r.dynamodb?.NewImage ?? {}))
    .filter((image) => image.kind?.S === "change-set")
    .map((image) => ({ changeSetId: `${image.changeSetId?.S}`, state: `${image.state?.S}` }));
}, 240_000);

/** A body of the audit API, by what was asked; the status beside it. */
type AuditAnswer = { statusCode: number; json: Record<string, unknown> };
const audit = new Map<string, AuditAnswer>();

/** The audit function's bundle asked each route (one cold start each), the answers kept. */
async function askAuditApi(): Promise<void> {
  const today = new Date(schedule.base).toISOString().slice(0, 10);
  const questions: [string, string, Record<string, string>?][] = [
    ["state", "/state"],
    ["changes", "/changes", { from: today }],
    ["history", "/history/applianceupdate.clearswift.com", { limit: "1" }],
    ["history at", "/history/applianceupdate.clearswift.com", { at: new Date().toISOString() }],
    ["ip", "/ips/40.113.232.250"],
    ["events", "/events", { limit: "1000" }],
    ["notifications", "/notifications", { limit: "1000" }],
    ["bad cursor", "/notifications", { cursor: "bm90LWEta2V5" }],
  ];
  for (const [name, path, query] of questions) {
    const response = (await invoke(AUDIT, httpApiGet(path, query))) as {
      statusCode: number;
      body: string;
    };
    audit.set(name, { statusCode: response.statusCode, json: JSON.parse(response.body) });
  }
  const first = audit.get("history")?.json.cursor;
  const older = (await invoke(
    AUDIT,
    httpApiGet("/history/applianceupdate.clearswift.com", { limit: "1", cursor: `${first}` }),
  )) as { statusCode: number; body: string };
  audit.set("history, older", { statusCode: older.statusCode, json: JSON.parse(older.body) });
}

/** The firewall feed's status for each route a poller asks, by path. */
const feedStatus = new Map<string, number>();

/** The firewall feed function's bundle asked each route, as a firewall would poll it. */
async function askFirewallFeed(): Promise<void> {
  const questions: [string, Record<string, string>?][] = [
    ["/feed/catalogues"],
    ["/feed/version"],
    ["/feed/changes", { since: "0" }],
    ["/feed/changes.atom"],
    ["/feed/allowlists/av-update-mirrors.txt"],
    ["/feed/allowlists/av-update-mirrors.txt", { catalogue: "clearswift-seg-5.3" }],
    ["/feed/allowlists/av-update-mirrors.json"],
    ["/feed/allowlists/no-such-group.txt"],
  ];
  for (const [path, query] of questions) {
    const response = (await invoke(FEED, httpApiGet(path, query, "req-feed-1"))) as {
      statusCode: number;
    };
    const search = new URLSearchParams(query).toString();
    feedStatus.set(search === "" ? path : `${path}?${search}`, response.statusCode);
  }
}

/** The catalogue, naming the vendor's page (on the loopback feed server) as its source. */

afterAll(async () => {
  for (const recorder of recorders.values()) await recorder.stop();
  await feeds?.close();
  await dns?.stop();
  await stack?.stop();
  await service?.remove();
});

/** The unique authorizations behind a function's recorded calls, in first-seen order. */
function authorizationsOf(functionId: string, model: IamModel = iam): Authorization[] {
  return uniqueAuthorizations(model, recorders.get(functionId)?.calls ?? [], bindings);
}

async function verdictsOf(model: IamModel): Promise<SimulationVerdict[]> {
  const verdicts: SimulationVerdict[] = [];
  for (const functionId of FUNCTIONS) {
    for (const authorization of authorizationsOf(functionId, model)) {
      verdicts.push(await model.simulate({ kind: "function", functionId }, authorization));
    }
  }
  return verdicts;
}

describe("the packaged functions through the scenarios", () => {
  it("ingest: the schedule takes the first snapshots, the notification commits the relevant change once", () => {
    expect(results["ingest on schedule"]).toMatchObject({
      trigger: "schedule",
      results: [
        { feed: "aws-ip-ranges", status: "updated", syncToken: "1787338625" },
        { feed: "cloudfront", status: "updated" },
      ],
    });
    expect(results["ingest on notification"]).toMatchObject({
      trigger: "notification",
      runId: "feeds-sync-1787347025",
      drift: { committed: 1 },
    });
    expect(results["ingest on redelivery"]).toMatchObject({
      trigger: "notification",
      runId: "feeds-sync-1787347025",
    });
    expect(at(results["ingest on redelivery"], "drift", "committed") ?? 0).toBe(0);
  });

  it("ingest: the schedule baselines the vendor's page, then commits its revision once, published by the sweep", () => {
    expect(results["ingest on schedule"]).toMatchObject({ document: { status: "baseline" } });
    expect(results["ingest on notification"]).not.toHaveProperty("document");
    expect(results["ingest on schedule, page revised"]).toMatchObject({
      trigger: "schedule",
      document: { status: "changed" },
      drift: { committed: 1 },
    });
    const revised = deliveredTo("everything", ["sweep"]).filter((d) =>
      d.notification.eventTypes.includes("vendor-document-changed"),
    );
    expect(revised.map((d) => d.notification.subject.key)).toEqual(["document:clearswift-seg-5.3"]);
    expect(revised[0]?.notification.events[0]?.evidence.document?.diff).toContain(
      "+telemetry.clearswift.com 443",
    );
    expect(
      deliveredTo("everything", ["ingest on schedule, page revised", "late stream"]).filter((d) =>
        d.notification.eventTypes.includes("vendor-document-changed"),
      ),
    ).toEqual([]);
  });

  it("resolve: the baseline commits nothing, the changed zone commits its change sets", () => {
    expect(results["resolve, baseline"]).toMatchObject({ duplicateRun: false, committed: 0 });
    expect(results["resolve, changed zone"]).toMatchObject({ duplicateRun: false });
    expect(Number(at(results["resolve, changed zone"], "committed"))).toBeGreaterThan(0);
  });

  it("resolve: archives each run's history to history/dt=YYYY-MM-DD/ with a PutObject alone", () => {
    const keys = ["resolve, baseline", "resolve, changed zone"].map((name) =>
      String(at(results[name], "historyArchive")),
    );
    const puts = recorders
      .get(RESOLVE)
      ?.calls.filter((c) => c.key?.startsWith("history/"))
      .map((c) => `${c.operation} ${c.key}`);

    for (const key of keys)
      expect(key).toMatch(/^history\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.jsonl\.gz$/);
    expect(puts).toEqual(keys.map((key) => `PutObject ${key}`));
  });

  it("publish: the stream batch and the sweep send; the replay, the late batch and the empty sweep send nothing", () => {
    const everything = (steps: string[]) => deliveredTo("everything", steps);
    expect(everything(["stream"]).map((d) => d.notification.subject.key)).toEqual([
      "feed:cloudfront:product-updates",
    ]);
    expect(everything(["stream replay", "late stream", "sweep, nothing left"])).toEqual([]);
    expect(everything(["sweep"]).length).toBeGreaterThan(0);
    expect(
      everything([
        "ingest on notification",
        "resolve, changed zone",
        "ingest on schedule, page revised",
      ]),
    ).toEqual([]);
    for (const stepName of ["stream", "stream replay", "late stream"]) {
      for (const response of results[stepName] as unknown[]) {
        expect(response, stepName).toEqual({ batchItemFailures: [] });
      }
    }
    expect(results["sweep, nothing left"]).toMatchObject({ published: 0, changeSets: 0 });
  });

  it("delivers each change set exactly once to every queue whose filter policy matches it", () => {
    // Prepare: every committed change set, published.
    expect(changeSets.length).toBeGreaterThanOrEqual(3);
    expect(changeSets.map((c) => c.state)).toEqual(changeSets.map(() => "published"));

    // Assess
    const everything = deliveredTo("everything");
    const ids = (delivered: Delivered[]) =>
      delivered.map((d) => `${d.notification.changeSetId}#${d.notification.part}`).sort();
    expect(new Set(ids(everything)).size).toBe(everything.length);
    expect([...new Set(everything.map((d) => d.notification.changeSetId))].sort()).toEqual(
      changeSets.map((c) => c.changeSetId).sort(),
    );
    for (const [subscriber, filter] of Object.entries(SUBSCRIBERS) as [
      Subscriber,
      Record<string, string[]> | undefined,
    ][]) {
      const matching = everything.filter((d) =>
        Object.entries(filter ?? {}).every(([name, values]) =>
          values.includes(`${(d.notification as unknown as Record<string, unknown>)[name]}`),
        ),
      );
      expect(ids(deliveredTo(subscriber)), subscriber).toEqual(ids(matching));
      expect(matching.length, subscriber).toBeGreaterThan(0);
    }
    expect(ids(deliveredTo("productUpdates")).length).toBeLessThan(everything.length);
    expect(ids(deliveredTo("highSeverity")).length).toBeLessThan(everything.length);
    // drainQueue validated every body against schema/drift-notification.schema.json.
  });
});

describe("the packaged audit API over what the scenario wrote", () => {
  it("answers every route from the runs' data: state, changes, history (paged), IP, events, notifications", () => {
    for (const [name, answer] of audit) {
      expect(answer.statusCode, `${name}: ${JSON.stringify(answer.json)}`).toBe(
        name === "bad cursor" ? 400 : 200,
      );
    }
    const endpoints = audit.get("state")?.json.endpoints as { hostname: string; status: string }[];
    expect(endpoints.find((e) => e.hostname === "applianceupdate.clearswift.com")).toMatchObject({
      status: "drifted",
    });
    expect(audit.get("changes")?.json.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          hostname: "applianceupdate.clearswift.com",
          change: "entered",
          ip: "40.113.232.250",
        }),
      ]),
    );
    const runIds = (name: string) =>
      ((audit.get(name)?.json.runs ?? []) as { runId: string }[]).map((run) => run.runId);
    expect([...runIds("history"), ...runIds("history, older")]).toHaveLength(2);
    expect(new Set([...runIds("history"), ...runIds("history, older")]).size).toBe(2);
    expect(audit.get("history at")?.json).toMatchObject({
      hostname: "applianceupdate.clearswift.com",
      observation: { runId: runIds("history")[0] },
    });
    expect(audit.get("ip")?.json).toMatchObject({
      ip: "40.113.232.250",
      hosts: [{ hostname: "applianceupdate.clearswift.com", current: true }],
    });
    const notified = audit.get("notifications")?.json.notifications as { changeSetId: string }[];
    expect(notified.map((n) => n.changeSetId).sort()).toEqual(
      changeSets.map((c) => c.changeSetId).sort(),
    );
    expect(((audit.get("events")?.json.events ?? []) as unknown[]).length).toBeGreaterThanOrEqual(
      changeSets.length,
    );
    expect(audit.get("bad cursor")?.json).toMatchObject({
      error: "bad-request",
      parameter: "cursor",
    });
  });
});

describe("the packaged firewall feed over what the scenario wrote", () => {
  it("answers a poller's routes: the catalogues, the version, the changes, the Atom feed, a group's EDL and JSON", () => {
    expect(Object.fromEntries(feedStatus)).toEqual({
      "/feed/catalogues": 200,
      "/feed/version": 200,
      "/feed/changes?since=0": 200,
      "/feed/changes.atom": 200,
      "/feed/allowlists/av-update-mirrors.txt": 200,
      "/feed/allowlists/av-update-mirrors.txt?catalogue=clearswift-seg-5.3": 200,
      "/feed/allowlists/av-update-mirrors.json": 200,
      "/feed/allowlists/no-such-group.txt": 404,
    });
  });
});

describe("the template's IAM, simulated for every recorded call", () => {
  it("records the calls of every function, the publisher's reads and publishes among them", () => {
    for (const functionId of FUNCTIONS) {
      expect(recorders.get(functionId)?.calls.length, functionId).toBeGreaterThan(0);
    }
    expect(
      authorizationsOf(AUDIT).map((a) => `${a.action} ${a.resource.split(":").pop()}`),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dynamodb:Query table\/[^/]+$/),
        expect.stringMatching(/^dynamodb:Query table\/[^/]+\/index\/gsi1$/),
        expect.stringMatching(/^dynamodb:Scan table\/[^/]+$/),
      ]),
    );
    const publisher = authorizationsOf(PUBLISH).map((a) => a.action);
    expect(publisher).toEqual(
      expect.arrayContaining([
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "sns:Publish",
        "kms:GenerateDataKey",
      ]),
    );
  });

  it("allows every call each function made, under its own role and the resource policies", async () => {
    const verdicts = await verdictsOf(iam);

    const denied = verdicts.filter((v) => v.result !== "Allowed").map(describeVerdict);
    expect(denied).toEqual([]);
  });

  it("denies the publisher's reads once dynamodb:BatchGetItem is taken out of its role again", async () => {
    // Prepare: the template as it was before the fix.
    const regressed = structuredClone(template);
    for (const policy of at(regressed.Resources.PublishEventsRole?.Properties, "Policies") as {
      PolicyDocument: { Statement: { Action: string | string[] }[] };
    }[]) {
      for (const statement of policy.PolicyDocument.Statement) {
        const actions = [statement.Action].flat();
        statement.Action = actions.filter((action) => action !== "dynamodb:BatchGetItem");
      }
    }

    // Act
    const verdicts = await verdictsOf(createIamModel(regressed, DEPLOYMENT));

    // Assess
    const denied = verdicts.filter((v) => v.result !== "Allowed").map(describeVerdict);
    expect(denied).toEqual([
      expect.stringMatching(
        /^PublishEventsLambdaFunction dynamodb:BatchGetItem on arn:aws:dynamodb:eu-west-1:123456789012:table\/\S+ \[BatchGetItem\]: ImplicitlyDenied/,
      ),
    ]);
  });
});

describe("the template's IAM, simulated for what must never be allowed", () => {
  const table = (operation: string, extra: Partial<RecordedAwsCall> = {}): RecordedAwsCall => ({
    service: "dynamodb",
    operation,
    tables: [stack.tableName],
    status: 200,
    ...extra,
  });
  const publish = (): RecordedAwsCall => ({
    service: "sns",
    operation: "Publish",
    topicArn: stack.topicArn,
    status: 200,
  });
  const administrator: Caller = {
    kind: "role",
    name: "Administrator",
    policies: [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
    ],
  };

  async function verdict(
    caller: Caller,
    call: RecordedAwsCall,
    options: { secureTransport?: boolean } = {},
  ): Promise<SimulationVerdict> {
    const [authorization] = iam.authorizationsFor(call, bindings);
    if (authorization === undefined) throw new Error(`no authorization for ${call.operation}`);
    return iam.simulate(caller, authorization, options);
  }

  it("lets no account administrator publish a change event", async () => {
    const result = await verdict(administrator, publish());

    expect(result.result, describeVerdict(result)).toBe("ExplicitlyDenied");
    expect(result.deniedBy).toContain("resource policy statement DenyPublishByAnyoneElse denies");
  });

  it("lets the publisher publish only over TLS", async () => {
    const overTls = await verdict({ kind: "function", functionId: PUBLISH }, publish());
    const plain = await verdict({ kind: "function", functionId: PUBLISH }, publish(), {
      secureTransport: false,
    });

    expect(overTls.result, describeVerdict(overTls)).toBe("Allowed");
    expect(plain.result, describeVerdict(plain)).toBe("ExplicitlyDenied");
    expect(plain.deniedBy).toContain("resource policy statement DenyInsecureTransport denies");
  });

  it("lets neither observe function publish", async () => {
    for (const functionId of [RESOLVE, INGEST]) {
      const result = await verdict({ kind: "function", functionId }, publish());
      expect(result.result, describeVerdict(result)).toBe("ExplicitlyDenied");
    }
  });

  it("lets nobody read an allowlist anonymously", async () => {
    const written = recorders
      .get(RESOLVE)
      ?.calls.find((c) => c.operation === "PutObject" && c.key?.startsWith("allowlists/"));
    expect(written?.key).toBeDefined();

    const result = await verdict(
      { kind: "anonymous" },
      {
        service: "s3",
        operation: "GetObject",
        bucket: stack.bucketName,
        key: written?.key,
        status: 200,
      },
    );

    expect(result.result, describeVerdict(result)).not.toBe("Allowed");
  });

  it("lets only the resolve function write the history archive, and nobody read it back", async () => {
    const archived = recorders
      .get(RESOLVE)
      ?.calls.find((c) => c.operation === "PutObject" && c.key?.startsWith("history/"));
    expect(archived?.key).toBeDefined();
    const object = (operation: string): RecordedAwsCall => ({
      service: "s3",
      operation,
      bucket: stack.bucketName,
      key: archived?.key,
      status: 200,
    });

    const allowed: string[] = [];
    for (const functionId of FUNCTIONS) {
      for (const operation of ["PutObject", "GetObject"]) {
        const result = await verdict({ kind: "function", functionId }, object(operation));
        if (result.result === "Allowed") allowed.push(`${functionId} ${operation}`);
      }
    }

    expect(allowed).toEqual([`${RESOLVE} PutObject`]);
  });

  it("lets the ingest function query the index, as the resolve function does, and never scan it", async () => {
    // The runs not judged yet are part of the current state a feed change is judged over; the
    // index also lists the pending events, which no observe function reads.
    const query = await verdict(
      { kind: "function", functionId: INGEST },
      table("Query", { indexName: "gsi1" }),
    );
    const scan = await verdict(
      { kind: "function", functionId: INGEST },
      table("Scan", { indexName: "gsi1" }),
    );

    expect(query.result, describeVerdict(query)).toBe("Allowed");
    expect(scan.result, describeVerdict(scan)).not.toBe("Allowed");
  });

  it("lets the audit function write nothing and read no other way than it does", async () => {
    const writes = [
      table("PutItem"),
      table("UpdateItem"),
      table("BatchWriteItem", { writeRequests: ["PutRequest"] }),
      table("GetItem"),
      table("Scan", { indexName: "gsi1" }),
    ];
    const allowed: string[] = [];
    for (const call of writes) {
      const result = await verdict({ kind: "function", functionId: AUDIT }, call);
      if (result.result === "Allowed") allowed.push(describeVerdict(result));
    }

    expect(allowed).toEqual([]);
  });

  it("lets no function delete items", async () => {
    const deletes = [
      table("DeleteItem"),
      table("BatchWriteItem", { writeRequests: ["DeleteRequest"] }),
    ];
    const allowed: string[] = [];
    for (const functionId of FUNCTIONS) {
      for (const call of deletes) {
        const result = await verdict({ kind: "function", functionId }, call);
        if (result.result === "Allowed") allowed.push(describeVerdict(result));
      }
    }

    // IAM cannot grant BatchWriteItem for puts alone: the resolve role's batches (the run's
    // history items, under its lease) carry PutRequests only; that grant is the one exception.
    expect(allowed).toEqual([expect.stringMatching(`^${RESOLVE} dynamodb:BatchWriteItem `)]);
  });
});
