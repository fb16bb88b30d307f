import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
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
import { asArray, at, type CfnTemplate, TEST_DEPLOYMENT, target } from "#test/helpers/cfn-template";
import { closedLoopbackPort } from "#test/helpers/closed-port";
import { readAwsIpRanges, readCloudFront } from "#test/helpers/feed-fixtures";
import { type FeedServer, jsonRoute, startFeedServer } from "#test/helpers/feed-server";
import {
  type Authorization,
  type Caller,
  createIamModel,
  describeVerdict,
  type IamModel,
  type LocalBindings,
  uniqueAuthorizations,
} from "#test/helpers/iam-simulation";
import { quarterHourSchedule, scheduledEvent } from "#test/helpers/lambda-events";
import {
  BundleInvocationError,
  functionEnvironment,
  invokeBundle,
  type PackagedService,
  packageService,
} from "#test/helpers/packaged-service";
import { startTestStack } from "#test/helpers/stack";
import {
  type AslMachine,
  type AslState,
  type Execution,
  ExecutionFailedError,
  runStateMachine,
} from "#test/helpers/state-machine";

/**
 * The sharded run (docs/sharding.md) proven on its packaged bundles under the template's IAM. The
 * service is packaged with `shardCount=3`; the state machine's definition is read from the
 * packaged template (its Fn::Sub resolved to one deployment's function ARNs) and run by the ASL
 * interpreter of test/helpers/state-machine.ts, each Task the packaged bundle of the function its
 * Resource names, in its own Node process, against dynalite and fauxqs through a recording
 * proxy, resolving against a loopback zone server:
 *
 * 0. a scheduled feed ingest (its bundle, not recorded: aws-path proves it), whose snapshots
 *    and pointers the compare steps read;
 * 1. a baseline run (clearswift.zone): plan, three shards, complete (the first allowlists);
 * 2. the zone changes (clearswift-v2.zone) and the last shard finds DynamoDB unreachable on
 *    every attempt: the Map fails, CompleteRun never runs, the run stays unjudged;
 * 3. the next run: its plan step judges what the failed run saved (commits, rewrites
 *    allowlists), the complete step judges the rest.
 *
 * Every recorded call is then simulated with @cloud-copilot/iam-simulate under its function's
 * role and the resource policies (intrinsics resolved as in aws-path.e2e.test.ts); a DynamoDB
 * write carries the partition keys it wrote as `dynamodb:LeadingKeys`. The state machine's role
 * is simulated for the invocations its definition makes, and the denials that keep the path
 * least-privilege are checked beside them.
 */

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const DEPLOYMENT = TEST_DEPLOYMENT;
const INGEST = "IngestFeedsLambdaFunction";
const PLAN = "PlanRunLambdaFunction";
const SHARD = "ResolveShardLambdaFunction";
const COMPLETE = "CompleteRunLambdaFunction";
const FUNCTIONS = [PLAN, SHARD, COMPLETE];
const MACHINE = "ShardedRunStateMachine";
const MACHINE_ROLE = "ShardedRunStateMachineRole";
const SCHEDULE_ROLE = "ShardedRunScheduleRole";
const SHARDS = 3;
/** The vendor's page the catalogue names (document.source), on the loopback feed server. */
const VENDOR_PAGE = "<html><body><h1>Ports</h1><p>products.clearswift.net 443</p></body></html>";
const FAILING_SHARD = 2;

let service: PackagedService;
let template: CfnTemplate;
let iam: IamModel;
let stack: EmbeddedStack;
let dns: ZoneDnsServer;
let feeds: FeedServer;
let ingested: unknown;
let bindings: LocalBindings;
let definition: AslMachine;
/** The function each Task's Resource names, by ARN. */
let functionOfArn: Map<string, string>;
const recorders = new Map<string, AwsCallRecorder>();
const executions = new Map<string, Execution>();
let failed: unknown;

/** A handler's error as Lambda reports it to Step Functions: its name is the error type. */
class HandlerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Runs a function's bundle once (a cold start) with the template's environment, made local. */
async function invoke(
  functionId: string,
  event: unknown,
  overrides: Record<string, string> = {},
): Promise<unknown> {
  const recorder = recorders.get(functionId);
  if (recorder === undefined) throw new Error(`no recorder for ${functionId}`);
  const environment = {
    ...functionEnvironment(template, functionId, {
      Table: stack.tableName,
      Bucket: stack.bucketName,
      ChangeEventsTopic: stack.topicArn,
    }),
    ...(functionId === SHARD ? { DRIFTWATCH_DNS_SERVERS: dns.address } : {}),
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    ...recorder.environment,
    ...overrides,
  };
  try {
    return (await invokeBundle(service, functionId, event, environment)).result;
  } catch (error) {
    if (!(error instanceof BundleInvocationError)) throw error;
    const last = error.stderr.trim().split("\n").at(-1) ?? "";
    const [, name = "Error", message = last] = /^(\w+): ([\s\S]*)$/.exec(last) ?? [];
    throw new HandlerError(name, message);
  }
}

/**
 * The feed ingest's bundle on its schedule, straight to the stack (aws-path.e2e.test.ts proves
 * its IAM): the feeds' snapshots and pointers the compare steps read.
 */
async function ingestOnSchedule(quartersAgo: number): Promise<unknown> {
  const environment = {
    ...functionEnvironment(template, INGEST, {
      Table: stack.tableName,
      Bucket: stack.bucketName,
      ChangeEventsTopic: stack.topicArn,
    }),
    DRIFTWATCH_AWS_IP_RANGES_URL: feeds.url("/ip-ranges.json"),
    DRIFTWATCH_CLOUDFRONT_URL: feeds.url("/tools/list-cloudfront-ips"),
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: stack.messagingEndpoint,
    AWS_ENDPOINT_URL_SNS: stack.messagingEndpoint,
    AWS_ENDPOINT_URL_SQS: stack.messagingEndpoint,
  };
  const event = scheduledEvent(scheduledTime(quartersAgo), "driftwatch-prod-ingest-feeds");
  return (await invokeBundle(service, INGEST, event, environment)).result;
}

/** The catalogue, naming the vendor's page at `url` as its source. */
const { time: scheduledTime } = quarterHourSchedule();
function scheduledAt(quartersAgo: number) {
  return scheduledEvent(scheduledTime(quartersAgo), "driftwatch-prod-sharded-run");
}

/**
 * One execution of the packaged definition on the scheduled event, each Task the bundle its
 * Resource names; every attempt of shard `failingShard` finds DynamoDB unreachable.
 */
async function execute(quartersAgo: number, failingShard?: number): Promise<Execution> {
  const unreachable = `http://127.0.0.1:${await closedLoopbackPort()}`;
  return runStateMachine(definition, scheduledAt(quartersAgo), (arn, input) => {
    const functionId = functionOfArn.get(arn);
    if (functionId === undefined) throw new Error(`the definition invokes ${arn}`);
    const shard = at(input, "shard", "shard");
    const failing = functionId === SHARD && shard === failingShard;
    return invoke(functionId, input, failing ? { AWS_ENDPOINT_URL_DYNAMODB: unreachable } : {});
  });
}

beforeAll(async () => {
  // Prepare: package with three shards, start the stack and the zone server, import the catalogue.
  const [awsIpRanges, cloudfront] = await Promise.all([
    readAwsIpRanges("2026-08-21-18-57-05"),
    readCloudFront(),
  ]);
  [service, stack, dns, feeds] = await Promise.all([
    packageService({
      stage: "prod",
      region: DEPLOYMENT.region,
      params: { shardCount: String(SHARDS) },
    }),
    startTestStack(),
    startZoneDnsServer({ zoneFile: join(REPO_ROOT, "fixtures/dns/clearswift.zone") }),
    startFeedServer({
      "/ip-ranges.json": jsonRoute(awsIpRanges, '"aws-1"'),
      "/tools/list-cloudfront-ips": jsonRoute(cloudfront, '"cloudfront-1"'),
      "/ports": (_request, response) => {
        response.writeHead(200, { "content-type": "text/html" }).end(VENDOR_PAGE);
      },
    }),
  ]);
  template = service.template as CfnTemplate;
  iam = createIamModel(template, DEPLOYMENT);
  definition = JSON.parse(
    `${iam.resolver.resolve(template.Resources[MACHINE]?.Properties.DefinitionString)}`,
  ) as AslMachine;
  functionOfArn = new Map(FUNCTIONS.map((id) => [iam.resolver.arnOf(id), id]));
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
    const upstreams = { dynamodb: stack.dynamodbEndpoint, messaging: stack.messagingEndpoint };
    recorders.set(id, await startAwsCallRecorder(upstreams));
  }

  // Act
  ingested = await ingestOnSchedule(4);
  executions.set("baseline", await execute(3));
  dns.reload(await readFile(join(REPO_ROOT, "fixtures/dns/clearswift-v2.zone"), "utf8"));
  failed = await execute(2, FAILING_SHARD).catch((error: unknown) => error);
  executions.set("next run", await execute(1));
}, 240_000);

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

/** The verdicts that are not Allowed, one line each. */
async function deniedOf(
  caller: Caller,
  authorizations: Authorization[],
  model: IamModel = iam,
): Promise<string[]> {
  const denied: string[] = [];
  for (const authorization of authorizations) {
    const verdict = await model.simulate(caller, authorization);
    if (verdict.result !== "Allowed") denied.push(describeVerdict(verdict));
  }
  return denied;
}

/** The verdicts that are Allowed, one line each. */
async function allowedOf(caller: Caller, authorizations: Authorization[]): Promise<string[]> {
  const allowed: string[] = [];
  for (const authorization of authorizations) {
    const verdict = await iam.simulate(caller, authorization);
    if (verdict.result === "Allowed") allowed.push(describeVerdict(verdict));
  }
  return allowed;
}

const role = (functionId: string): Caller => ({ kind: "function", functionId });

/** The authorizations of calls nobody made, as the model builds them from recorded ones. */
function authorizationsOfCalls(calls: RecordedAwsCall[]): Authorization[] {
  return calls.flatMap((call) => iam.authorizationsFor(call, bindings));
}

/** A DynamoDB call on the table; a write names the partition keys it writes. */
function table(operation: string, extra: Partial<RecordedAwsCall> = {}): RecordedAwsCall {
  return { service: "dynamodb", operation, tables: [stack.tableName], status: 200, ...extra };
}

function object(operation: string, key: string): RecordedAwsCall {
  return { service: "s3", operation, bucket: stack.bucketName, key, status: 200 };
}

/** The Task states of a definition, the Map's item processor's among them. */
function taskStates(machine: AslMachine): AslState[] {
  return Object.values(machine.States).flatMap((state) => [
    ...(state.Type === "Task" ? [state] : []),
    ...(state.ItemProcessor === undefined ? [] : taskStates(state.ItemProcessor)),
  ]);
}

/** The state machine's role invoking a function (Step Functions calls it with the role). */
function invocation(functionId: string, action = "lambda:InvokeFunction"): Authorization {
  return {
    action,
    resource: iam.resolver.arnOf(functionId),
    resourceId: functionId,
    because: "a Task state",
  };
}

/** The template with the Condition taken out of every statement named `sid` of a role. */
function withoutCondition(roleId: string, sid: string): IamModel {
  const regressed = structuredClone(template);
  for (const policy of at(regressed.Resources[roleId]?.Properties, "Policies") as {
    PolicyDocument: { Statement: { Sid?: string; Condition?: unknown }[] };
  }[]) {
    for (const statement of policy.PolicyDocument.Statement) {
      if (statement.Sid === sid) delete statement.Condition;
    }
  }
  return createIamModel(regressed, DEPLOYMENT);
}

describe("the packaged sharded run through its state machine", () => {
  it("runs plan, every shard, then complete, each a packaged bundle, the baseline committing its first allowlists", () => {
    const baseline = executions.get("baseline");
    const started = baseline?.events.flatMap((e) => (e.type === "TaskStarted" ? [e.state] : []));

    expect(started).toEqual(["PlanRun", ...Array(SHARDS).fill("ResolveShard"), "CompleteRun"]);
    expect(baseline?.output).toMatchObject({ shards: SHARDS, duplicateRun: false });
    expect(at(baseline?.output, "allowlistsWritten")).toEqual(
      expect.arrayContaining(["allowlists/ntp.txt"]),
    );
  });

  it("judges against the feeds the ingest saved: both compare steps read their snapshots", () => {
    expect(ingested).toMatchObject({
      trigger: "schedule",
      results: [
        { feed: "aws-ip-ranges", status: "updated" },
        { feed: "cloudfront", status: "updated" },
      ],
    });
    for (const functionId of [PLAN, COMPLETE]) {
      expect(recorders.get(functionId)?.calls, functionId).toContainEqual(
        expect.objectContaining({ operation: "GetObject", key: expect.stringMatching(/^feeds\//) }),
      );
    }
  });

  it("fails the execution when a shard fails every attempt: the run is not completed", () => {
    expect(failed).toBeInstanceOf(ExecutionFailedError);
    expect(failed).toMatchObject({ state: "ResolveShard" });
  });

  it("judges what the failed run saved in the next plan step, and the rest in the complete step", () => {
    const next = executions.get("next run");
    const planned = next?.events.find((e) => e.type === "TaskSucceeded" && e.state === "PlanRun");
    const backlog = at(planned, "output", "backlog") as { committed: number }[];

    expect(backlog).toHaveLength(1);
    expect(backlog[0]?.committed).toBeGreaterThan(0);
    expect(Number(at(next?.output, "committed"))).toBeGreaterThan(0);
    // The backlog's drift rewrote allowlists: the plan step's writes, not only the complete's.
    expect(recorders.get(PLAN)?.calls).toContainEqual(
      expect.objectContaining({
        operation: "PutObject",
        key: expect.stringMatching(/^allowlists/),
      }),
    );
  });
});

describe("the template's IAM, simulated for every recorded call", () => {
  it("records what each function did: no function of the run publishes", () => {
    for (const functionId of FUNCTIONS) {
      const calls = recorders.get(functionId)?.calls ?? [];
      expect(calls.length, functionId).toBeGreaterThan(0);
      expect(calls.filter((c) => c.service === "sns" || c.service === "sqs")).toEqual([]);
    }
    const writes = (functionId: string) =>
      new Set(
        (recorders.get(functionId)?.calls ?? []).flatMap((c) =>
          (c.partitionKeys ?? []).map((key) => key.replace(/#.*/, "#")),
        ),
      );
    expect(writes(SHARD)).toEqual(new Set(["RUN#", "HOST#", "IP#"]));
    for (const functionId of [PLAN, COMPLETE]) {
      expect([...writes(functionId)].filter((key) => /^(HOST|IP)#/.test(key))).toEqual([]);
    }
  });

  it("allows every call each function made, under its own role and the resource policies", async () => {
    const denied: string[] = [];
    for (const functionId of FUNCTIONS) {
      denied.push(...(await deniedOf(role(functionId), authorizationsOf(functionId))));
    }

    expect(denied).toEqual([]);
  });

  it("denies the shard's unjudged-runs query (its previous state) without the UnjudgedRunsBetween statement", async () => {
    const regressed = structuredClone(template);
    const policies = at(regressed.Resources.ResolveShardRole?.Properties, "Policies") as {
      PolicyDocument: { Statement: { Sid?: string }[] };
    }[];
    for (const policy of policies) {
      policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter(
        (statement) => statement.Sid !== "UnjudgedRunsBetween",
      );
    }
    const model = createIamModel(regressed, DEPLOYMENT);

    const denied = await deniedOf(role(SHARD), authorizationsOf(SHARD, model), model);

    expect(denied).toEqual([
      expect.stringMatching(/^ResolveShardLambdaFunction dynamodb:Query on \S+\/index\/gsi1 /),
    ]);
  });
});

describe("the state machine's role, simulated", () => {
  const machineRole: Caller = { kind: "templateRole", roleId: MACHINE_ROLE };

  it("names the three functions as its Tasks, and may invoke each of them", async () => {
    const resources = taskStates(definition).map((state) => state.Resource);

    expect(resources.map((arn) => functionOfArn.get(`${arn}`))).toEqual([PLAN, SHARD, COMPLETE]);
    expect(
      await deniedOf(
        machineRole,
        FUNCTIONS.map((id) => invocation(id)),
      ),
    ).toEqual([]);
  });

  it("may invoke no other function of the stack, nor do anything else to the three", async () => {
    const others = Object.entries(template.Resources)
      .filter(([id, r]) => r.Type === "AWS::Lambda::Function" && !FUNCTIONS.includes(id))
      .map(([id]) => invocation(id));
    const beyondInvoking = FUNCTIONS.flatMap((id) =>
      ["lambda:InvokeAsync", "lambda:UpdateFunctionCode", "lambda:GetFunction"].map((action) =>
        invocation(id, action),
      ),
    );
    const data = authorizationsOfCalls([
      table("GetItem"),
      table("PutItem", { partitionKeys: ["RUN#x"] }),
      object("GetObject", "allowlists/ntp.txt"),
      { service: "sns", operation: "Publish", topicArn: stack.topicArn, status: 200 },
    ]);
    const itself: Authorization = {
      action: "states:StartExecution",
      resource: iam.resolver.arnOf(MACHINE),
      resourceId: MACHINE,
      because: "a nested execution",
    };

    expect(others.length).toBeGreaterThanOrEqual(5);
    expect(await allowedOf(machineRole, [...others, ...beyondInvoking, ...data, itself])).toEqual(
      [],
    );
  });

  it("holds one statement, trusts only Step Functions of this account, and logs and traces nothing", () => {
    const roleProperties = template.Resources[MACHINE_ROLE]?.Properties;
    const statements = asArray(at(roleProperties, "Policies")).flatMap((policy) =>
      asArray(at(policy, "PolicyDocument", "Statement")),
    );
    const trust = asArray(at(roleProperties, "AssumeRolePolicyDocument", "Statement"));
    const machine = template.Resources[MACHINE]?.Properties;

    expect(statements).toHaveLength(1);
    expect(asArray(at(statements[0], "Action"))).toEqual(["lambda:InvokeFunction"]);
    expect(asArray(at(statements[0], "Resource")).map(target)).toEqual(FUNCTIONS);
    expect(at(roleProperties, "ManagedPolicyArns")).toBeUndefined();
    expect(trust).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      }),
    ]);
    // Execution logging needs logs:*LogDelivery on "*", tracing xray:Put*: neither is granted.
    expect(machine?.LoggingConfiguration).toBeUndefined();
    expect(machine?.TracingConfiguration).toBeUndefined();
  });

  it("is the only way in: no Lambda permission opens the three functions to another principal", () => {
    const permissions = Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::Lambda::Permission")
      .map((r) => target(r.Properties.FunctionName));

    expect(permissions.filter((id) => id !== undefined && FUNCTIONS.includes(id))).toEqual([]);
  });

  it("is started by the schedule's role, which may start this state machine and invoke nothing", async () => {
    const scheduleRole: Caller = { kind: "templateRole", roleId: SCHEDULE_ROLE };
    const start = (arn: string): Authorization => ({
      action: "states:StartExecution",
      resource: arn,
      resourceId: MACHINE,
      because: "the resolve schedule",
    });
    const another = `arn:aws:states:eu-west-1:${DEPLOYMENT.accountId}:stateMachine:another`;

    expect(await deniedOf(scheduleRole, [start(iam.resolver.arnOf(MACHINE))])).toEqual([]);
    expect(
      await allowedOf(scheduleRole, [start(another), ...FUNCTIONS.map((id) => invocation(id))]),
    ).toEqual([]);
  });
});

describe("the template's IAM, simulated for what the sharded run must never be allowed", () => {
  const publishing = () =>
    authorizationsOfCalls([
      { service: "sns", operation: "Publish", topicArn: stack.topicArn, status: 200 },
    ]);
  const put = (pk: string) => table("PutItem", { partitionKeys: [pk] });
  const update = (pk: string) => table("UpdateItem", { partitionKeys: [pk] });
  /** What judging a run writes (resolveShard's job ends at the observations). */
  const judgingWrites = () => [
    put("EVENT#a1b2c3"),
    update("SEQ#pinned:applianceupdate.clearswift.com"),
    put("ALLOWLIST#ntp"),
    put("CATALOGUE#clearswift-seg-5.3"),
    update("DNS_RUNS"),
    update("FEED#cloudfront"),
    object("PutObject", "allowlists/ntp.txt"),
    object("PutObject", "history/dt=2026-12-04/2026-12-04T18:00Z.jsonl.gz"),
    object("GetObject", "feeds/cloudfront/snapshot.json"),
    table("Scan"),
  ];

  it("lets no function of the run publish (publish-events does), nor use the topic's key", async () => {
    const allowed: string[] = [];
    for (const functionId of FUNCTIONS)
      allowed.push(...(await allowedOf(role(functionId), publishing())));

    expect(publishing().map((a) => a.action)).toContain("kms:GenerateDataKey");
    expect(allowed).toEqual([]);
  });

  it("lets resolveShard write nothing of judging: no change event, sequence, allowlist, archive or feed", async () => {
    const allowed = await allowedOf(role(SHARD), authorizationsOfCalls(judgingWrites()));

    expect(allowed).toEqual([]);
  });

  it("lets neither planRun nor completeRun write a hostname's history, the IP index or a feed pointer", async () => {
    const observationWrites = authorizationsOfCalls([
      update("FEED#cloudfront"),
      table("BatchWriteItem", {
        writeRequests: ["PutRequest"],
        partitionKeys: ["HOST#ntp1.example"],
      }),
      put("HOST#www.clearswift.com"),
      put("IP#23.185.0.1"),
      update("HOST#www.clearswift.com"),
    ]);
    const allowed: string[] = [];
    for (const functionId of [PLAN, COMPLETE]) {
      allowed.push(...(await allowedOf(role(functionId), observationWrites)));
    }

    expect(allowed).toEqual([]);
  });

  it("lets planRun and completeRun write allowlist versions of the watched catalogue only", async () => {
    const other = authorizationsOfCalls([put("CATALOGUE#another-catalogue")]);
    const allowed: string[] = [];
    for (const functionId of [PLAN, COMPLETE])
      allowed.push(...(await allowedOf(role(functionId), other)));

    expect(allowed).toEqual([]);
  });

  it("keeps completeRun out of the index: the backlog is the plan step's to judge", async () => {
    const allowed = await allowedOf(
      role(COMPLETE),
      authorizationsOfCalls([table("Query", { indexName: "gsi1" })]),
    );

    expect(authorizationsOf(COMPLETE).filter((a) => a.resource.includes("/index/"))).toEqual([]);
    expect(allowed).toEqual([]);
  });

  it("lets no function of the run delete items or objects, nor read the history archive back", async () => {
    const deletes = authorizationsOfCalls([
      table("DeleteItem", { partitionKeys: ["RUN#2026-12-04T18:00Z"] }),
      table("BatchWriteItem", { writeRequests: ["DeleteRequest"], partitionKeys: ["EVENT#a1b2"] }),
      table("BatchWriteItem", { writeRequests: ["DeleteRequest"], partitionKeys: ["HOST#a.b"] }),
      object("DeleteObject", "allowlists/ntp.txt"),
      object("DeleteObject", "history/dt=2026-12-04/2026-12-04T18:00Z.jsonl.gz"),
      object("GetObject", "history/dt=2026-12-04/2026-12-04T18:00Z.jsonl.gz"),
    ]);
    const allowed: string[] = [];
    for (const functionId of FUNCTIONS)
      allowed.push(...(await allowedOf(role(functionId), deletes)));

    // IAM cannot grant BatchWriteItem for puts alone: the shard's batches of history items carry
    // PutRequests only (recorded), and its partitions are HOST#, so that one delete is the exception.
    expect(allowed).toEqual([
      expect.stringMatching(/^ResolveShardLambdaFunction dynamodb:BatchWriteItem .*: Allowed$/),
    ]);
    expect(
      recorders.get(SHARD)?.calls.filter((c) => c.writeRequests?.includes("DeleteRequest")),
    ).toEqual([]);
  });

  it("can fail: without its partition condition, resolveShard's role would let it write change events", async () => {
    const model = withoutCondition("ResolveShardRole", "ObservationWrites");

    const denied = await deniedOf(role(SHARD), authorizationsOfCalls([put("EVENT#a1b2c3")]), model);

    expect(denied).toEqual([]);
  });
});
