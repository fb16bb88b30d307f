import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { tableDefinition } from "#shared/adapters/dynamodb/table";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { asArray, at, target } from "#test/helpers/cfn-template";
import { feedAuthorizerEvent } from "#test/helpers/http-api-events";
import {
  functionEnvironment,
  invokeBundle,
  type PackagedService,
  packageService,
  unzip,
} from "#test/helpers/packaged-service";
import { startSsmParameterServer } from "#test/helpers/ssm-parameter-server";
import { startTestStack } from "#test/helpers/stack";

/**
 * Packages the service (osls + serverless-esbuild, offline) and asserts the security and
 * reliability properties of the generated CloudFormation template. Every property is a check
 * that returns violations; the last block mutates the real template to prove each check fails
 * on a regression.
 *
 * The last block runs the packaged bundles, with the environment the template gives them, against
 * the embedded stack and a loopback DNS server, and checks that they emit every metric an alarm
 * watches, with the alarm's namespace and dimensions: an alarm on a metric nobody writes is silent.
 *
 * The test always packages into a temporary folder instead of reading `.serverless/`: a template
 * left there by an earlier `npm run package` may be older than serverless.yml and would hide a
 * regression. It packages the `prod` stage for eu-west-1, so the AmazonIpSpaceChanged
 * subscription is cross-region.
 */

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const STAGE = "prod";
const REGION = "eu-west-1";
const SERVICE_NAME = `driftwatch-${STAGE}`;
const AMAZON_IP_SPACE_CHANGED = "arn:aws:sns:us-east-1:806199016981:AmazonIpSpaceChanged";

/** Actions AWS only authorises on `Resource: "*"`. Each use must carry a comment in serverless.yml. */
const WILDCARD_RESOURCE_ACTIONS = new Set([
  // EC2's Describe actions take no resource-level permission (the prefix-list subscriber).
  "ec2:DescribeManagedPrefixLists",
  "cloudwatch:PutMetricData",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
]);

/** Metrics the handlers emit (Powertools EMF); the alarms below watch them. */
const CUSTOM_METRICS = [
  "FeedAgeSeconds",
  "UnresolvableHostnames",
  "OldestUnpublishedEventAgeSeconds",
  "PublishSweepFailures",
] as const;

/**
 * Metrics counted from a function's log by a metric filter (the function logs, it emits no EMF
 * for them): the function whose log group the filter reads.
 */
const LOG_METRICS = { FeedAuthorizerFailures: "FeedAuthorizerLambdaFunction" } as const;

const Resource = z.looseObject({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
  DeletionPolicy: z.string().optional(),
  Condition: z.string().optional(),
});
type Resource = z.infer<typeof Resource>;

const Template = z.looseObject({ Resources: z.record(z.string(), Resource) });
type Template = z.infer<typeof Template>;

// ------------------------------------------------------------------ template navigation

function ofType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Every logical id mentioned anywhere inside a value (Ref, GetAtt, Fn::Sub references). */
function mentions(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const id = target(node);
    if (id) found.add(id);
    const sub = at(node, "Fn::Sub");
    if (typeof sub === "string") {
      for (const match of sub.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}/g)) {
        if (match[1]) found.add(match[1]);
      }
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(value);
  return found;
}

interface Statement {
  origin: string;
  effect: unknown;
  actions: string[];
  resources: unknown[];
  raw: Record<string, unknown>;
}

function statementsOf(document: unknown, origin: string): Statement[] {
  return asArray(at(document, "Statement")).map((raw) => ({
    origin,
    effect: at(raw, "Effect"),
    actions: asArray(at(raw, "Action")).filter((a): a is string => typeof a === "string"),
    resources: asArray(at(raw, "Resource")),
    raw: raw as Record<string, unknown>,
  }));
}

/** Identity-based statements: inline role policies and standalone policies. */
function iamStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const [id, role] of ofType(template, "AWS::IAM::Role")) {
    for (const policy of asArray(role.Properties.Policies)) {
      statements.push(...statementsOf(at(policy, "PolicyDocument"), id));
    }
  }
  for (const type of ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"]) {
    for (const [id, policy] of ofType(template, type)) {
      statements.push(...statementsOf(policy.Properties.PolicyDocument, id));
    }
  }
  return statements;
}

function roleStatements(template: Template, roleId: string): Statement[] {
  return iamStatements(template).filter((statement) => statement.origin === roleId);
}

function roleAllows(template: Template, roleId: string, action: string, resourceId: string) {
  return roleStatements(template, roleId).some(
    (statement) =>
      statement.effect === "Allow" &&
      statement.actions.includes(action) &&
      statement.resources.some((resource) => mentions(resource).has(resourceId)),
  );
}

/** The object key patterns of `Bucket` a role may use an S3 action on, e.g. `allowlists/*`. */
function bucketObjectPatterns(template: Template, roleId: string, action: string): string[] {
  return roleStatements(template, roleId)
    .filter((statement) => statement.effect === "Allow" && statement.actions.includes(action))
    .flatMap((statement) => statement.resources)
    .flatMap((resource) => {
      const parts = at(resource, "Fn::Join", 1);
      if (!Array.isArray(parts) || target(parts[0]) !== "Bucket") return [];
      return typeof parts[1] === "string" ? [parts[1].replace(/^\//, "")] : [];
    })
    .sort();
}

/** The indexes of `Table` a role may use an action on, e.g. `index/gsi1`. */
function tableIndexPatterns(template: Template, roleId: string, action: string): string[] {
  return roleStatements(template, roleId)
    .filter((statement) => statement.effect === "Allow" && statement.actions.includes(action))
    .flatMap((statement) => statement.resources)
    .flatMap((resource) => {
      const parts = at(resource, "Fn::Join", 1);
      if (!Array.isArray(parts) || target(parts[0]) !== "Table") return [];
      return typeof parts[1] === "string" ? [parts[1].replace(/^\//, "")] : [];
    })
    .sort();
}

function functionRoleId(fn: Resource): string | undefined {
  return target(fn.Properties.Role);
}

function functionIds(template: Template): string[] {
  return ofType(template, "AWS::Lambda::Function").map(([id]) => id);
}

// ------------------------------------------------------------------ checks (violations)

function tableViolations(template: Template): string[] {
  const violations: string[] = [];
  const tables = ofType(template, "AWS::DynamoDB::Table");
  if (tables.length !== 1) violations.push(`expected one table, found ${tables.length}`);
  const expected = tableDefinition("unused");
  for (const [id, { Properties: p, DeletionPolicy }] of tables) {
    if (p.BillingMode !== "PAY_PER_REQUEST") violations.push(`${id}: not on-demand`);
    if (at(p, "SSESpecification", "SSEEnabled") !== true) violations.push(`${id}: no SSE`);
    if (at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") !== true) {
      violations.push(`${id}: no point-in-time recovery`);
    }
    if (
      at(p, "TimeToLiveSpecification", "AttributeName") !== "expiresAt" ||
      at(p, "TimeToLiveSpecification", "Enabled") !== true
    ) {
      violations.push(`${id}: no TTL on expiresAt`);
    }
    if (at(p, "StreamSpecification", "StreamViewType") !== "NEW_IMAGE") {
      violations.push(`${id}: no NEW_IMAGE stream`);
    }
    if (DeletionPolicy !== "Retain") violations.push(`${id}: not retained on stack removal`);
    const sameLayout =
      JSON.stringify(p.AttributeDefinitions) === JSON.stringify(expected.AttributeDefinitions) &&
      JSON.stringify(p.KeySchema) === JSON.stringify(expected.KeySchema) &&
      JSON.stringify(p.GlobalSecondaryIndexes) === JSON.stringify(expected.GlobalSecondaryIndexes);
    if (!sameLayout) violations.push(`${id}: keys or GSIs differ from shared/adapters/dynamodb`);
  }
  return violations;
}

function isInsecureTransportDeny(statement: Statement): boolean {
  const secureTransport = at(statement.raw, "Condition", "Bool", "aws:SecureTransport");
  return (
    statement.effect === "Deny" &&
    at(statement.raw, "Principal") === "*" &&
    (statement.actions.includes("s3:*") || statement.actions.includes("sns:Publish")) &&
    (secureTransport === false || secureTransport === "false")
  );
}

function bucketViolations(template: Template): string[] {
  const violations: string[] = [];
  const policies = ofType(template, "AWS::S3::BucketPolicy");
  for (const [id, { Properties: p }] of ofType(template, "AWS::S3::Bucket")) {
    const algorithms = asArray(at(p, "BucketEncryption", "ServerSideEncryptionConfiguration")).map(
      (rule) => at(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm"),
    );
    if (!algorithms.some((a) => a === "AES256" || a === "aws:kms" || a === "aws:kms:dsse")) {
      violations.push(`${id}: no default encryption`);
    }
    const block = at(p, "PublicAccessBlockConfiguration");
    for (const flag of [
      "BlockPublicAcls",
      "BlockPublicPolicy",
      "IgnorePublicAcls",
      "RestrictPublicBuckets",
    ]) {
      if (at(block, flag) !== true) violations.push(`${id}: public access not blocked (${flag})`);
    }
    const tlsOnly = policies.some(
      ([policyId, policy]) =>
        target(policy.Properties.Bucket) === id &&
        statementsOf(policy.Properties.PolicyDocument, policyId).some(
          (statement) =>
            isInsecureTransportDeny(statement) &&
            statement.resources.length >= 2 &&
            statement.resources.every((resource) => mentions(resource).has(id)),
        ),
    );
    if (!tlsOnly) violations.push(`${id}: no TLS-only bucket policy`);
    if (id === "ServerlessDeploymentBucket") continue;
    if (at(p, "VersioningConfiguration", "Status") !== "Enabled") {
      violations.push(`${id}: versioning off`);
    }
    const rules = asArray(at(p, "LifecycleConfiguration", "Rules"));
    const archivesFeeds = rules.some(
      (rule) =>
        at(rule, "Status") === "Enabled" &&
        (at(rule, "Prefix") === "feeds/" || at(rule, "Filter", "Prefix") === "feeds/") &&
        asArray(at(rule, "Transitions")).length > 0,
    );
    if (!archivesFeeds) violations.push(`${id}: feeds/ never move to cheaper storage`);
    const expiresNoncurrent = rules.some(
      (rule) =>
        at(rule, "Status") === "Enabled" &&
        typeof at(rule, "NoncurrentVersionExpiration", "NoncurrentDays") === "number",
    );
    if (!expiresNoncurrent) violations.push(`${id}: noncurrent versions kept forever`);
  }
  return violations;
}

function keyPolicyAllows(template: Template, keyId: string, service: string, action: string) {
  const key = template.Resources[keyId];
  return statementsOf(key?.Properties.KeyPolicy, keyId).some(
    (statement) =>
      statement.effect === "Allow" &&
      at(statement.raw, "Principal", "Service") === service &&
      statement.actions.includes(action),
  );
}

/** A policy principal naming nothing but roles of `roles`. */
function isOnlyRoles(principal: unknown, roles: Set<string>): boolean {
  if (principal === null || typeof principal !== "object") return false;
  if (Object.keys(principal).join() !== "AWS") return false;
  const named = asArray(at(principal, "AWS"));
  return named.length > 0 && named.every((role) => roles.has(target(role) ?? ""));
}

function topicViolations(template: Template): string[] {
  const violations: string[] = [];
  for (const [id, { Properties: p }] of ofType(template, "AWS::SNS::Topic")) {
    const keyId = target(p.KmsMasterKeyId);
    const key = keyId ? template.Resources[keyId] : undefined;
    if (key?.Type !== "AWS::KMS::Key") {
      violations.push(`${id}: not encrypted with a customer-managed key of this stack`);
    } else if (key.Properties.EnableKeyRotation !== true) {
      violations.push(`${id}: key ${keyId} does not rotate`);
    }
  }

  // The change-event topic: only the roles of the functions that publish may publish.
  const publisherRoles = new Set<string>();
  const eventTopics = new Set<string>();
  for (const [, fn] of ofType(template, "AWS::Lambda::Function")) {
    const topicId = target(at(fn.Properties, "Environment", "Variables", "DRIFTWATCH_TOPIC_ARN"));
    const roleId = functionRoleId(fn);
    if (topicId) eventTopics.add(topicId);
    if (topicId && roleId) publisherRoles.add(roleId);
  }
  if (eventTopics.size === 0) violations.push("no function publishes change events");
  for (const topicId of eventTopics) {
    const statements = ofType(template, "AWS::SNS::TopicPolicy")
      .filter(([, policy]) => asArray(policy.Properties.Topics).some((t) => target(t) === topicId))
      .flatMap(([policyId, policy]) => statementsOf(policy.Properties.PolicyDocument, policyId));
    const denyOthers = statements.some(
      (statement) =>
        statement.effect === "Deny" &&
        at(statement.raw, "Principal") === "*" &&
        statement.actions.includes("sns:Publish") &&
        [...mentions(at(statement.raw, "Condition", "ArnNotEquals", "aws:PrincipalArn"))].every(
          (role) => publisherRoles.has(role),
        ) &&
        mentions(at(statement.raw, "Condition", "ArnNotEquals", "aws:PrincipalArn")).size > 0,
    );
    if (!denyOthers) violations.push(`${topicId}: anyone besides the publisher may publish`);
    const foreignPublishers = statements.filter(
      (statement) =>
        statement.effect === "Allow" &&
        statement.actions.some((a) => a === "sns:Publish" || a === "sns:*" || a === "*") &&
        !isOnlyRoles(at(statement.raw, "Principal"), publisherRoles),
    );
    if (foreignPublishers.length > 0) violations.push(`${topicId}: allows another publisher`);
  }
  return violations;
}

function iamViolations(template: Template): string[] {
  const violations: string[] = [];
  for (const statement of iamStatements(template)) {
    if (statement.effect !== "Allow") continue;
    const label = `${statement.origin} ${statement.actions.join(",")}`;
    if ("NotAction" in statement.raw || "NotResource" in statement.raw) {
      violations.push(`${label}: NotAction/NotResource`);
    }
    if (statement.actions.some((action) => action === "*" || action.endsWith(":*"))) {
      violations.push(`${label}: wildcard action`);
    }
    const wildcardResource = statement.resources.some(
      (resource) =>
        resource === "*" ||
        (typeof resource === "string" && /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(resource)),
    );
    if (wildcardResource && !statement.actions.every((a) => WILDCARD_RESOURCE_ACTIONS.has(a))) {
      violations.push(`${label}: Resource "*"`);
    }
  }
  return violations;
}

function bucketsWrittenBy(template: Template, roleId: string): Set<string> {
  const buckets = new Set<string>();
  for (const statement of roleStatements(template, roleId)) {
    if (statement.effect !== "Allow" || !statement.actions.includes("s3:PutObject")) continue;
    for (const resource of statement.resources) {
      for (const id of mentions(resource)) {
        if (template.Resources[id]?.Type === "AWS::S3::Bucket") buckets.add(id);
      }
    }
  }
  return buckets;
}

function roleViolations(template: Template): string[] {
  const violations: string[] = [];
  if (template.Resources.IamRoleLambdaExecution) violations.push("a shared default role exists");
  const owners = new Map<string, string>();
  for (const [id, fn] of ofType(template, "AWS::Lambda::Function")) {
    const roleId = functionRoleId(fn);
    const role = roleId ? template.Resources[roleId] : undefined;
    if (!roleId || role?.Type !== "AWS::IAM::Role") {
      violations.push(`${id}: role is not declared in this stack`);
      continue;
    }
    const owner = owners.get(roleId);
    if (owner) violations.push(`${id}: shares role ${roleId} with ${owner}`);
    owners.set(roleId, id);
    const trusted = statementsOf(role.Properties.AssumeRolePolicyDocument, roleId).map((s) =>
      at(s.raw, "Principal", "Service"),
    );
    if (trusted.length !== 1 || trusted[0] !== "lambda.amazonaws.com") {
      violations.push(`${roleId}: trusted by something other than Lambda`);
    }
    // The object archive writes only changed bytes, checking with HeadObject first: without
    // ListBucket, S3 answers 403 instead of 404 for a new key and the write fails.
    for (const bucketId of bucketsWrittenBy(template, roleId)) {
      if (!roleAllows(template, roleId, "s3:ListBucket", bucketId)) {
        violations.push(`${roleId}: writes to ${bucketId} without s3:ListBucket (HeadObject 403)`);
      }
    }
    const logGroupId = id.replace(/LambdaFunction$/, "LogGroup");
    const logTargets = roleStatements(template, roleId)
      .filter((s) => s.actions.includes("logs:PutLogEvents"))
      .flatMap((s) => s.resources.flatMap((resource) => [...mentions(resource)]));
    if (logTargets.length === 0 || logTargets.some((t) => t !== logGroupId)) {
      violations.push(`${roleId}: may write logs outside ${logGroupId}`);
    }
  }
  return violations;
}

/** Functions invoked asynchronously: by EventBridge rules, SNS or S3. */
function asyncFunctionIds(template: Template): Set<string> {
  const ids = new Set<string>();
  for (const [, rule] of ofType(template, "AWS::Events::Rule")) {
    for (const ruleTarget of asArray(rule.Properties.Targets)) {
      const id = target(at(ruleTarget, "Arn"));
      // A rule may start a state machine (the sharded run), which calls its functions in turn.
      if (id && template.Resources[id]?.Type === "AWS::Lambda::Function") ids.add(id);
    }
  }
  for (const [, subscription] of ofType(template, "AWS::SNS::Subscription")) {
    const id = target(subscription.Properties.Endpoint);
    if (subscription.Properties.Protocol === "lambda" && id) ids.add(id);
  }
  for (const [, permission] of ofType(template, "AWS::Lambda::Permission")) {
    const principal = permission.Properties.Principal;
    const id = target(permission.Properties.FunctionName);
    if (
      id &&
      ["events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com"].includes(`${principal}`)
    )
      ids.add(id);
  }
  return ids;
}

function destinationViolations(
  template: Template,
  label: string,
  destination: unknown,
  roleId: string | undefined,
): string[] {
  const queueId = target(destination);
  const queue = queueId ? template.Resources[queueId] : undefined;
  if (!queueId || queue?.Type !== "AWS::SQS::Queue") {
    return [`${label}: failure destination is not an SQS queue of this stack`];
  }
  const violations: string[] = [];
  if (queue.Properties.SqsManagedSseEnabled !== true && !queue.Properties.KmsMasterKeyId) {
    violations.push(`${label}: failure queue ${queueId} is not encrypted`);
  }
  if (!roleId || !roleAllows(template, roleId, "sqs:SendMessage", queueId)) {
    violations.push(`${label}: role cannot send to failure queue ${queueId}`);
  }
  return violations;
}

function failureHandlingViolations(template: Template): string[] {
  const violations: string[] = [];
  const invokeConfigs = ofType(template, "AWS::Lambda::EventInvokeConfig");
  for (const id of asyncFunctionIds(template)) {
    const fn = template.Resources[id];
    if (!fn) continue;
    const config = invokeConfigs.find(([, c]) => target(c.Properties.FunctionName) === id)?.[1];
    const destination =
      at(config?.Properties, "DestinationConfig", "OnFailure", "Destination") ??
      at(fn.Properties, "DeadLetterConfig", "TargetArn");
    if (destination === undefined) {
      violations.push(`${id}: asynchronous without an on-failure destination or DLQ`);
      continue;
    }
    violations.push(...destinationViolations(template, id, destination, functionRoleId(fn)));
  }
  for (const [id, { Properties: p }] of ofType(template, "AWS::Lambda::EventSourceMapping")) {
    const fn = template.Resources[target(p.FunctionName) ?? ""];
    const source = template.Resources[target(p.EventSourceArn) ?? ""];
    if (source?.Type === "AWS::SQS::Queue") {
      violations.push(...queueSourceViolations(template, id, source, p));
      continue;
    }
    const destination = at(p, "DestinationConfig", "OnFailure", "Destination");
    if (destination === undefined) {
      violations.push(`${id}: stream without an on-failure destination`);
    } else {
      violations.push(
        ...destinationViolations(template, id, destination, fn && functionRoleId(fn)),
      );
    }
    if (p.BisectBatchOnFunctionError !== true) violations.push(`${id}: does not bisect batches`);
    const retries = p.MaximumRetryAttempts;
    if (typeof retries !== "number" || retries < 0) violations.push(`${id}: retries forever`);
    if (!asArray(p.FunctionResponseTypes).includes("ReportBatchItemFailures")) {
      violations.push(`${id}: no partial batch responses`);
    }
  }
  return violations;
}

/** An SQS event source: failed messages go to an encrypted dead-letter queue of this stack. */
function queueSourceViolations(
  template: Template,
  id: string,
  queue: Resource,
  mapping: Record<string, unknown>,
): string[] {
  const violations: string[] = [];
  const dlqId = target(at(queue.Properties, "RedrivePolicy", "deadLetterTargetArn"));
  const dlq = dlqId === undefined ? undefined : template.Resources[dlqId];
  if (dlq?.Type !== "AWS::SQS::Queue") {
    violations.push(`${id}: queue without a dead-letter queue of this stack`);
  } else if (dlq.Properties.SqsManagedSseEnabled !== true && !dlq.Properties.KmsMasterKeyId) {
    violations.push(`${id}: dead-letter queue ${dlqId} is not encrypted`);
  }
  if (!asArray(mapping.FunctionResponseTypes).includes("ReportBatchItemFailures")) {
    violations.push(`${id}: no partial batch responses`);
  }
  return violations;
}

function alarmViolations(template: Template): string[] {
  const violations: string[] = [];
  const alarms = ofType(template, "AWS::CloudWatch::Alarm").map(([id, alarm]) => ({
    id,
    p: alarm.Properties,
  }));
  const dimension = (p: Record<string, unknown>, name: string) =>
    asArray(p.Dimensions).find((d) => at(d, "Name") === name);
  const watches = (
    namespace: string,
    metric: string,
    name: string,
    matches: (v: unknown) => boolean,
  ) =>
    alarms.some(
      ({ p }) =>
        p.Namespace === namespace &&
        p.MetricName === metric &&
        matches(at(dimension(p, name), "Value")),
    );

  for (const id of functionIds(template)) {
    if (!watches("AWS/Lambda", "Errors", "FunctionName", (v) => target(v) === id)) {
      violations.push(`${id}: no errors alarm`);
    }
  }
  const queues = new Set<string>();
  for (const [, config] of ofType(template, "AWS::Lambda::EventInvokeConfig")) {
    const queue = target(at(config.Properties, "DestinationConfig", "OnFailure", "Destination"));
    if (queue) queues.add(queue);
  }
  for (const [, mapping] of ofType(template, "AWS::Lambda::EventSourceMapping")) {
    const queue = target(at(mapping.Properties, "DestinationConfig", "OnFailure", "Destination"));
    if (queue) queues.add(queue);
  }
  for (const queue of queues) {
    if (
      !watches(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        (v) => target(v) === queue,
      )
    ) {
      violations.push(`${queue}: no alarm on messages in the failure queue`);
    }
  }
  for (const metric of [...CUSTOM_METRICS, ...Object.keys(LOG_METRICS)]) {
    if (!watches("driftwatch", metric, "service", (v) => v === SERVICE_NAME)) {
      violations.push(`${metric}: no alarm (namespace driftwatch, service ${SERVICE_NAME})`);
    }
  }
  violations.push(...logMetricViolations(template));
  for (const { id, p } of alarms) {
    const actions = asArray(p.AlarmActions).map(target);
    const topicId = actions.find((a) => a && template.Resources[a]?.Type === "AWS::SNS::Topic");
    if (!topicId) {
      violations.push(`${id}: notifies no topic of this stack`);
      continue;
    }
    const keyId = target(template.Resources[topicId]?.Properties.KmsMasterKeyId);
    const canPublish =
      keyId !== undefined &&
      keyPolicyAllows(template, keyId, "cloudwatch.amazonaws.com", "kms:GenerateDataKey*") &&
      keyPolicyAllows(template, keyId, "cloudwatch.amazonaws.com", "kms:Decrypt");
    if (!canPublish) violations.push(`${id}: CloudWatch may not use the key of ${topicId}`);
  }
  return violations;
}

/**
 * Each log metric is counted by a filter on its function's own log group, into the namespace and
 * the `service` dimension its alarm watches (taken from the log line's `service`, which
 * Powertools' logger writes as POWERTOOLS_SERVICE_NAME).
 */
function logMetricViolations(template: Template): string[] {
  const violations: string[] = [];
  const filters = ofType(template, "AWS::Logs::MetricFilter");
  for (const [metric, functionId] of Object.entries(LOG_METRICS)) {
    const logGroup = functionId.replace(/LambdaFunction$/, "LogGroup");
    const counted = filters.some(([, filter]) => {
      const p = filter.Properties;
      return (
        target(p.LogGroupName) === logGroup &&
        asArray(p.MetricTransformations).some(
          (t) =>
            at(t, "MetricNamespace") === "driftwatch" &&
            at(t, "MetricName") === metric &&
            asArray(at(t, "Dimensions")).some(
              (d) => at(d, "Key") === "service" && at(d, "Value") === "$.service",
            ),
        )
      );
    });
    if (!counted) violations.push(`${metric}: no metric filter on ${logGroup}`);
  }
  return violations;
}

function runtimeViolations(template: Template): string[] {
  const violations: string[] = [];
  for (const [id, { Properties: p }] of ofType(template, "AWS::Lambda::Function")) {
    if (p.Runtime !== "nodejs22.x") violations.push(`${id}: runtime ${String(p.Runtime)}`);
    if (JSON.stringify(p.Architectures) !== JSON.stringify(["arm64"])) {
      violations.push(`${id}: not arm64`);
    }
    const nodeOptions = at(p, "Environment", "Variables", "NODE_OPTIONS");
    if (nodeOptions !== "--enable-source-maps --max-semi-space-size=32") {
      violations.push(`${id}: NODE_OPTIONS ${String(nodeOptions)}`);
    }
    if (typeof p.MemorySize !== "number" || typeof p.Timeout !== "number") {
      violations.push(`${id}: memory or timeout not set`);
    }
  }
  return violations;
}

const CHECKS = {
  table: tableViolations,
  bucket: bucketViolations,
  topic: topicViolations,
  iam: iamViolations,
  roles: roleViolations,
  failureHandling: failureHandlingViolations,
  alarms: alarmViolations,
  runtime: runtimeViolations,
} as const;

function allViolations(template: Template): string[] {
  return Object.values(CHECKS).flatMap((check) => check(template));
}

// ------------------------------------------------------------------ packaging

let service: PackagedService;
let template: Template;

beforeAll(async () => {
  service = await packageService({ stage: STAGE, region: REGION });
  template = Template.parse(service.template);
}, 300_000);

afterAll(async () => {
  await service?.remove();
});

// ------------------------------------------------------------------ the shipped template

describe("the packaged CloudFormation template", () => {
  it("declares the table encrypted, recoverable, expiring, streamed and laid out as in the code", () => {
    expect(tableViolations(template)).toEqual([]);
  });

  it("encrypts, versions, blocks public access to and enforces TLS on every bucket", () => {
    expect(bucketViolations(template)).toEqual([]);
  });

  it("encrypts every topic with a rotating customer-managed key and lets only the publisher publish", () => {
    expect(topicViolations(template)).toEqual([]);
  });

  it("grants no identity-based permission on every resource or with a wildcard action", () => {
    expect(iamViolations(template)).toEqual([]);
  });

  it("gives every function its own Lambda role, writing only to its own log group", () => {
    expect(roleViolations(template)).toEqual([]);
  });

  it("sends every failed asynchronous invocation and stream batch to an encrypted queue", () => {
    expect(failureHandlingViolations(template)).toEqual([]);
  });

  it("alarms on errors, failure queues, stale feeds, unresolvable names and unpublished events", () => {
    expect(alarmViolations(template)).toEqual([]);
  });

  it("runs every function on nodejs22.x, arm64, with source maps, memory and timeout set", () => {
    expect(runtimeViolations(template)).toEqual([]);
  });

  it("wires the three functions to their triggers", () => {
    const fns = Object.fromEntries(ofType(template, "AWS::Lambda::Function"));
    expect(Object.keys(fns).sort()).toEqual([
      // Invoked by the HTTP API (test/unit/deploy/audit-api.test.ts).
      "AuditApiLambdaFunction",
      "CompleteRunLambdaFunction",
      // The firewall feed and its token authorizer, invoked by the HTTP API
      // (test/unit/deploy/firewall-feed.test.ts).
      "FeedAuthorizerLambdaFunction",
      "FirewallFeedLambdaFunction",
      "IngestFeedsLambdaFunction",
      "PlanRunLambdaFunction",
      "PublishEventsLambdaFunction",
      "ResolveHostnamesLambdaFunction",
      "ResolveShardLambdaFunction",
      // Optional (param prefixListSync), fed by its SQS queue.
      "SyncPrefixListsLambdaFunction",
    ]);
    // The sharded run's functions are called synchronously by its state machine (sharded-run.test.ts).
    const asyncIds = asyncFunctionIds(template);
    expect([...asyncIds].sort()).toEqual([
      "IngestFeedsLambdaFunction",
      "PublishEventsLambdaFunction",
      "ResolveHostnamesLambdaFunction",
      // Its reconcile schedule (param prefixListReconcileSchedule).
      "SyncPrefixListsLambdaFunction",
    ]);

    const subscription = ofType(template, "AWS::SNS::Subscription").find(
      ([, s]) => s.Properties.TopicArn === AMAZON_IP_SPACE_CHANGED,
    )?.[1];
    expect(target(subscription?.Properties.Endpoint)).toBe("IngestFeedsLambdaFunction");
    expect(subscription?.Properties.Region).toBe("us-east-1");

    const mapping = ofType(template, "AWS::Lambda::EventSourceMapping").find(
      ([, m]) => target(m.Properties.FunctionName) === "PublishEventsLambdaFunction",
    );
    expect(target(mapping?.[1].Properties.FunctionName)).toBe("PublishEventsLambdaFunction");
    expect(at(mapping?.[1].Properties, "EventSourceArn", "Fn::GetAtt")).toEqual([
      "Table",
      "StreamArn",
    ]);
    const pattern = JSON.parse(
      `${at(mapping?.[1].Properties, "FilterCriteria", "Filters", 0, "Pattern")}`,
    );
    expect(pattern).toEqual({
      eventName: ["INSERT"],
      dynamodb: { NewImage: { pk: { S: [{ prefix: "EVENT#" }] } } },
    });
  });

  it("reconciles the prefix lists on a schedule, and only when the subscriber is deployed", () => {
    const rule = template.Resources.SyncPrefixListsReconcileSchedule;
    const permission = template.Resources.SyncPrefixListsReconcilePermission;
    const invokeConfig = template.Resources.SyncPrefixListsInvokeConfig;

    expect(rule?.Properties.ScheduleExpression).toBe("rate(1 hour)");
    expect(target(at(rule?.Properties, "Targets", 0, "Arn"))).toBe("SyncPrefixListsLambdaFunction");
    expect(target(permission?.Properties.SourceArn)).toBe("SyncPrefixListsReconcileSchedule");
    expect(
      target(at(invokeConfig?.Properties, "DestinationConfig", "OnFailure", "Destination")),
    ).toBe("PrefixListSyncDlq");
    for (const resource of [rule, permission, invokeConfig]) {
      expect(resource?.Condition).toBe("PrefixListSync");
    }
  });

  it("tells each function where its table, bucket and topic are", () => {
    for (const [id, { Properties: p }] of ofType(template, "AWS::Lambda::Function")) {
      const variables = at(p, "Environment", "Variables");
      expect(target(at(variables, "DRIFTWATCH_TABLE_NAME")), id).toBe("Table");
      expect(target(at(variables, "DRIFTWATCH_BUCKET_NAME")), id).toBe("Bucket");
      expect(at(variables, "POWERTOOLS_SERVICE_NAME"), id).toBe(SERVICE_NAME);
      expect(at(variables, "POWERTOOLS_METRICS_NAMESPACE"), id).toBe("driftwatch");
    }
    const publisher = template.Resources.PublishEventsLambdaFunction;
    expect(
      target(at(publisher?.Properties, "Environment", "Variables", "DRIFTWATCH_TOPIC_ARN")),
    ).toBe("ChangeEventsTopic");
  });

  it("lets the observe functions commit change events and write allowlists, never publish", () => {
    for (const roleId of ["ResolveHostnamesRole", "IngestFeedsRole"]) {
      for (const action of ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]) {
        expect(roleAllows(template, roleId, action, "Table"), `${roleId} ${action}`).toBe(true);
      }
      expect(bucketObjectPatterns(template, roleId, "s3:GetObject"), roleId).toEqual([
        "allowlists/*",
        "feeds/*",
        // The ingest function's schedule checks the vendor's page the catalogue names.
        ...(roleId === "IngestFeedsRole" ? ["vendor-documents/*"] : []),
      ]);
      const publishing = roleStatements(template, roleId).flatMap((statement) =>
        statement.actions.filter((a) => a.startsWith("sns:") || a.startsWith("kms:")),
      );
      expect(publishing, roleId).toEqual([]);
    }
    expect(bucketObjectPatterns(template, "ResolveHostnamesRole", "s3:PutObject")).toEqual([
      "allowlists/*",
      // The run history archive (docs/archive.md).
      "history/*",
    ]);
    expect(bucketObjectPatterns(template, "IngestFeedsRole", "s3:PutObject")).toEqual([
      "allowlists/*",
      "feeds/*",
      "vendor-documents/*",
    ]);
    expect(bucketObjectPatterns(template, "PublishEventsRole", "s3:PutObject")).toEqual([]);
    // gsi1: the resolve function lists the runs left unjudged; the ingest function lists them
    // for the current state a feed change is judged over (it keeps its own unjudged changes on
    // the feed pointer).
    for (const roleId of ["ResolveHostnamesRole", "IngestFeedsRole"]) {
      expect(tableIndexPatterns(template, roleId, "dynamodb:Query"), roleId).toEqual([
        "index/gsi1",
      ]);
    }
    expect(tableIndexPatterns(template, "PublishEventsRole", "dynamodb:Query")).toEqual([
      "index/gsi1",
    ]);
    for (const id of ["ResolveHostnamesLambdaFunction", "IngestFeedsLambdaFunction"]) {
      const variables = at(template.Resources[id]?.Properties, "Environment", "Variables");
      expect(at(variables, "DRIFTWATCH_TOPIC_ARN"), id).toBeUndefined();
      expect(at(variables, "DRIFTWATCH_CATALOGUE_ID"), id).toBe("clearswift-seg-5.3");
      expect(at(variables, "DRIFTWATCH_FAILURE_THRESHOLD"), id).toBe("3");
      expect(at(variables, "DRIFTWATCH_UNUSED_GRACE_HOURS"), id).toBe("168");
      // Empty: the default firewall limits of the size warnings.
      expect(at(variables, "DRIFTWATCH_ALLOWLIST_LIMITS"), id).toBe("");
    }
  });

  it("packages each function as its own bundle with the handler module and its source map", async () => {
    for (const [id, { Properties: p }] of ofType(template, "AWS::Lambda::Function")) {
      const artifact = `${at(p, "Code", "S3Key")}`.split("/").pop() ?? "";
      const zip = await readFile(join(service.dir, artifact));
      const module = `${p.Handler}`.replace(/\.[^.]+$/, ".mjs");
      expect(zip.includes(module), `${id} bundles ${module}`).toBe(true);
      expect(zip.includes(`${module}.map`), `${id} bundles ${module}.map`).toBe(true);
      expect(zip.includes("node_modules/"), `${id} bundles, not copies, dependencies`).toBe(false);
    }
  });

  it("bundles only the SDK clients a function calls, English-only zod, and maps to source paths", async () => {
    // Prepare
    const bundles = new Map<string, { code: string; sources: string[] }>();
    for (const [id, { Properties: p }] of ofType(template, "AWS::Lambda::Function")) {
      const files = unzip(
        await readFile(join(service.dir, `${at(p, "Code", "S3Key")}`.split("/").pop() ?? "")),
      );
      const module = `${p.Handler}`.replace(/\.[^.]+$/, ".mjs");
      const map = z
        .object({ sources: z.array(z.string()) })
        .parse(JSON.parse(`${files.get(`${module}.map`)}`));
      // Sources relative to the bundle's folder, which mirrors the repository (functions/).
      const sources = map.sources.map((source) => join(dirname(module), source));
      bundles.set(id, { code: `${files.get(module)}`, sources });
    }
    const clients = (id: string) =>
      [
        ...new Set(
          bundles
            .get(id)
            ?.sources.flatMap((s) => s.match(/@aws-sdk\/client-([a-z0-9]+)\//)?.[1] ?? []),
        ),
      ].sort();

    // Assess
    expect(clients("PublishEventsLambdaFunction")).toEqual(["dynamodb", "sns"]);
    expect(clients("ResolveHostnamesLambdaFunction")).toEqual(["dynamodb", "s3"]);
    expect(clients("IngestFeedsLambdaFunction")).toEqual(["dynamodb", "s3"]);
    expect(clients("FirewallFeedLambdaFunction")).toEqual(["dynamodb", "s3"]);
    expect(clients("FeedAuthorizerLambdaFunction")).toEqual(["ssm"]);
    const publisher = bundles.get("PublishEventsLambdaFunction")?.code ?? "";
    for (const client of ["S3Client", "SQSClient"]) expect(publisher).not.toContain(client);
    expect(publisher).toContain("SNSClient");
    for (const [id, { code, sources }] of bundles) {
      const locales = sources.filter((s) => s.includes("zod/v4/locales/"));
      expect([...locales].sort(), id).toEqual([
        "node_modules/zod/v4/locales/en.js",
        "node_modules/zod/v4/locales/index.js",
      ]);
      // Words of zod's German and French messages (ASCII: esbuild escapes the rest).
      expect(code, id).not.toContain("Eingabe");
      expect(code, id).not.toContain("attendu");
      const own = sources.filter((s) => !s.startsWith("node_modules/"));
      expect(own, id).toContain(
        `${template.Resources[id]?.Properties.Handler}`.replace(/\.[^.]+$/, ".ts"),
      );
      for (const source of own) {
        expect(source, id).toMatch(/^(functions|shared)\//);
        await expect(stat(join(REPO_ROOT, source)), `${id}: ${source}`).resolves.toBeDefined();
      }
    }
  });
});

// ------------------------------------------------------------------ the checks catch regressions

type Mutation = (t: Template) => void;

function mutated(mutation: Mutation): Template {
  const copy = structuredClone(template);
  mutation(copy);
  return copy;
}

function props(t: Template, id: string): Record<string, unknown> {
  const resource = t.Resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return resource.Properties;
}

function firstPolicyStatements(t: Template, roleId: string): Record<string, unknown>[] {
  return at(props(t, roleId), "Policies", 0, "PolicyDocument", "Statement") as Record<
    string,
    unknown
  >[];
}

describe("the template checks", () => {
  it("find nothing wrong in the shipped template", () => {
    expect(allViolations(template)).toEqual([]);
  });

  const regressions: [string, Mutation, RegExp][] = [
    [
      "table without point-in-time recovery",
      (t) => delete props(t, "Table").PointInTimeRecoverySpecification,
      /Table: no point-in-time recovery/,
    ],
    [
      "table without SSE",
      (t) => (props(t, "Table").SSESpecification = { SSEEnabled: false }),
      /Table: no SSE/,
    ],
    ["table without TTL", (t) => delete props(t, "Table").TimeToLiveSpecification, /Table: no TTL/],
    [
      "table without the GSI",
      (t) => delete props(t, "Table").GlobalSecondaryIndexes,
      /Table: keys or GSIs differ/,
    ],
    [
      "bucket without public access block",
      (t) => delete props(t, "Bucket").PublicAccessBlockConfiguration,
      /Bucket: public access not blocked/,
    ],
    [
      "bucket without encryption",
      (t) => delete props(t, "Bucket").BucketEncryption,
      /Bucket: no default encryption/,
    ],
    [
      "bucket without versioning",
      (t) => delete props(t, "Bucket").VersioningConfiguration,
      /Bucket: versioning off/,
    ],
    [
      "bucket policy without the TLS deny",
      (t) =>
        (
          at(props(t, "BucketPolicy"), "PolicyDocument") as { Statement: unknown[] }
        ).Statement.splice(0),
      /Bucket: no TLS-only bucket policy/,
    ],
    [
      "topic without KMS",
      (t) => delete props(t, "ChangeEventsTopic").KmsMasterKeyId,
      /ChangeEventsTopic: not encrypted/,
    ],
    [
      "topic policy letting anyone publish",
      (t) =>
        (
          at(props(t, "ChangeEventsTopicPolicy"), "PolicyDocument") as { Statement: unknown[] }
        ).Statement.push({
          Effect: "Allow",
          Principal: "*",
          Action: "sns:Publish",
          Resource: { Ref: "ChangeEventsTopic" },
        }),
      /ChangeEventsTopic: allows another publisher/,
    ],
    [
      'a statement on Resource "*"',
      (t) =>
        firstPolicyStatements(t, "IngestFeedsRole").push({
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "*",
        }),
      /IngestFeedsRole s3:GetObject: Resource "\*"/,
    ],
    [
      "a wildcard action",
      (t) => {
        const statement = firstPolicyStatements(t, "ResolveHostnamesRole")[1];
        if (statement) statement.Action = "dynamodb:*";
      },
      /ResolveHostnamesRole dynamodb:\*: wildcard action/,
    ],
    [
      "two functions sharing a role",
      (t) =>
        (props(t, "IngestFeedsLambdaFunction").Role = {
          "Fn::GetAtt": ["ResolveHostnamesRole", "Arn"],
        }),
      /shares role ResolveHostnamesRole/,
    ],
    [
      "a bucket writer without s3:ListBucket",
      (t) => {
        const statements = firstPolicyStatements(t, "IngestFeedsRole");
        statements.splice(
          statements.findIndex((s) => s.Sid === "ObjectExistence"),
          1,
        );
      },
      /IngestFeedsRole: writes to Bucket without s3:ListBucket/,
    ],
    [
      "an asynchronous function without an on-failure destination",
      (t) => delete t.Resources.ResolveHostnamesLambdaEvConf,
      /ResolveHostnamesLambdaFunction: asynchronous without an on-failure destination/,
    ],
    [
      "an unencrypted failure queue",
      (t) => delete props(t, "IngestFeedsDlq").SqsManagedSseEnabled,
      /failure queue IngestFeedsDlq is not encrypted/,
    ],
    [
      "a role that cannot reach its failure queue",
      (t) => {
        const statements = firstPolicyStatements(t, "PublishEventsRole");
        statements.splice(
          statements.findIndex((s) => s.Sid === "FailureDestination"),
          1,
        );
      },
      /role cannot send to failure queue PublishEventsDlq/,
    ],
    [
      "a stream mapping that does not bisect",
      (t) =>
        (props(t, "PublishEventsEventSourceMappingDynamodbTable").BisectBatchOnFunctionError =
          false),
      /does not bisect batches/,
    ],
    [
      "a stream mapping that retries forever",
      (t) => (props(t, "PublishEventsEventSourceMappingDynamodbTable").MaximumRetryAttempts = -1),
      /retries forever/,
    ],
    [
      "a missing errors alarm",
      (t) => delete t.Resources.PublishEventsErrorsAlarm,
      /PublishEventsLambdaFunction: no errors alarm/,
    ],
    [
      "a missing failure-queue alarm",
      (t) => delete t.Resources.IngestFeedsDlqAlarm,
      /IngestFeedsDlq: no alarm/,
    ],
    [
      "a missing stale-feed alarm",
      (t) => delete t.Resources.FeedStaleAlarm,
      /FeedAgeSeconds: no alarm/,
    ],
    [
      "a missing authorizer-failures alarm",
      (t) => delete t.Resources.FeedAuthorizerFailuresAlarm,
      /FeedAuthorizerFailures: no alarm/,
    ],
    [
      "authorizer failures counted from another function's log",
      (t) =>
        (props(t, "FeedAuthorizerFailuresMetricFilter").LogGroupName = { Ref: "AuditApiLogGroup" }),
      /FeedAuthorizerFailures: no metric filter on FeedAuthorizerLogGroup/,
    ],
    [
      "an alerts key CloudWatch may not use",
      (t) => {
        const statements = at(props(t, "MessagingKey"), "KeyPolicy", "Statement") as {
          Sid: string;
        }[];
        statements.splice(
          statements.findIndex((s) => s.Sid === "CloudWatchAlarmsPublishToAlerts"),
          1,
        );
      },
      /CloudWatch may not use the key of AlertsTopic/,
    ],
    [
      "an x86 function",
      (t) => (props(t, "IngestFeedsLambdaFunction").Architectures = ["x86_64"]),
      /IngestFeedsLambdaFunction: not arm64/,
    ],
    [
      "an older runtime",
      (t) => (props(t, "ResolveHostnamesLambdaFunction").Runtime = "nodejs20.x"),
      /ResolveHostnamesLambdaFunction: runtime nodejs20.x/,
    ],
  ];

  it.each(regressions)("report %s", (_name, mutation, expected) => {
    // Prepare
    const regressed = mutated(mutation);

    // Act
    const violations = allViolations(regressed);

    // Assess
    expect(violations).toContainEqual(expect.stringMatching(expected));
  });
});

// ------------------------------------------------------------------ the bundles feed the alarms

interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: string[];
  values: Record<string, unknown>;
}

/** Powertools' EMF lines in a function's output. */
function emittedMetrics(stdout: string): EmittedMetric[] {
  const Emf = z.looseObject({
    _aws: z.object({
      CloudWatchMetrics: z.array(
        z.object({
          Namespace: z.string(),
          Dimensions: z.array(z.array(z.string())),
          Metrics: z.array(z.object({ Name: z.string() })),
        }),
      ),
    }),
  });
  return stdout.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    const parsed = Emf.safeParse(JSON.parse(line));
    if (!parsed.success) return [];
    return parsed.data._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.map((metric) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        dimensions: directive.Dimensions.flat(),
        values: parsed.data,
      })),
    );
  });
}

/** The JSON objects a bundle wrote, one per line (the log and the handler's result). */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe("the packaged functions", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "driftwatch-bundles-"));
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: join(REPO_ROOT, "fixtures/dns/clearswift.zone") });
    const catalogue = await loadCatalogueFile();
    await createDynamoDbCatalogueStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }).importCatalogue(catalogue, new Date());
    for (const feed of ["aws-ip-ranges", "cloudfront"]) {
      const dir = join(REPO_ROOT, "fixtures/feeds", feed);
      const [first] = (await readdir(dir)).filter((f) => f.endsWith(".json.gz")).sort();
      if (!first) throw new Error(`no fixture in ${dir}`);
      await writeFile(join(workDir, `${feed}.json`), gunzipSync(await readFile(join(dir, first))));
    }
  }, 120_000);

  afterAll(async () => {
    await dns?.stop();
    await stack?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Runs a function's bundle once, in its own Node process, as Lambda would. */
  async function invoke(functionId: string, event: unknown, overrides: Record<string, string>) {
    const environment = functionEnvironment(template, functionId, {
      Table: stack.tableName,
      Bucket: stack.bucketName,
      ChangeEventsTopic: stack.topicArn,
    });
    const { stdout, stderr } = await invokeBundle(service, functionId, event, {
      ...environment,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
      AWS_ENDPOINT_URL_S3: stack.messagingEndpoint,
      AWS_ENDPOINT_URL_SNS: stack.messagingEndpoint,
      ...overrides,
    });
    // Lambda sends both streams to the function's log group.
    const logs = jsonLines(`${stdout}\n${stderr}`);
    return { environment, metrics: emittedMetrics(stdout), logs };
  }

  it("log each denial the authorizer cannot judge as its failures filter counts, a wrong token not", async () => {
    // Prepare: the token parameter SSM serves, then one it does not hold (deleted, say)
    const authorizer = "FeedAuthorizerLambdaFunction";
    const { DRIFTWATCH_FEED_TOKEN_PARAMETER: parameter = "" } = functionEnvironment(
      template,
      authorizer,
      { Table: stack.tableName, Bucket: stack.bucketName, ChangeEventsTopic: stack.topicArn },
    );
    const hash = createHash("sha256").update("the-token").digest("hex");
    const ssm = await startSsmParameterServer(
      { [parameter]: { type: "SecureString", value: `sha256:${hash}` } },
      { region: REGION, accountId: "123456789012" },
    );
    const filter = props(template, "FeedAuthorizerFailuresMetricFilter");
    const [transformation] = asArray(filter.MetricTransformations);
    const counted = (logs: Record<string, unknown>[]) =>
      logs.filter((line) => line.level === "ERROR").map((line) => line.service);

    // Act
    const env = { AWS_ENDPOINT_URL_SSM: ssm.endpoint };
    const wrongToken = await invoke(authorizer, feedAuthorizerEvent("Bearer not-it"), env);
    const rightToken = await invoke(authorizer, feedAuthorizerEvent("Bearer the-token"), env);
    const unreadable = await invoke(authorizer, feedAuthorizerEvent("Bearer the-token"), {
      ...env,
      DRIFTWATCH_FEED_TOKEN_PARAMETER: "/driftwatch/prod/deleted",
    });
    await ssm.stop();

    // Assess: the filter counts ERROR lines into the dimension its alarm watches
    expect(filter.FilterPattern).toBe('{ $.level = "ERROR" }');
    expect(at(transformation, "Dimensions")).toEqual([{ Key: "service", Value: "$.service" }]);
    expect(counted(wrongToken.logs)).toEqual([]);
    expect(counted(rightToken.logs)).toEqual([]);
    expect(counted(unreadable.logs)).toEqual([SERVICE_NAME]);
    const result = (logs: Record<string, unknown>[]) => logs.find((l) => "handlerResult" in l);
    expect(result(unreadable.logs)).toEqual({ handlerResult: { isAuthorized: false } });
    expect(result(wrongToken.logs)).toEqual({ handlerResult: { isAuthorized: false } });
    expect(result(rightToken.logs)).toMatchObject({ handlerResult: { isAuthorized: true } });
  }, 60_000);

  it("emit every metric an alarm watches, in the alarm's namespace and dimensions", async () => {
    // Prepare
    const scheduled = {
      version: "0",
      id: "template-test",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: "2026-08-21T21:15:00Z",
      region: "us-east-1",
      resources: [],
      detail: {},
    };
    const feedUrls = {
      DRIFTWATCH_AWS_IP_RANGES_URL: `file://${join(workDir, "aws-ip-ranges.json")}`,
      DRIFTWATCH_CLOUDFRONT_URL: `file://${join(workDir, "cloudfront.json")}`,
    };

    // Act
    const runs = [
      await invoke("ResolveHostnamesLambdaFunction", scheduled, {
        DRIFTWATCH_DNS_SERVERS: dns.address,
      }),
      await invoke("IngestFeedsLambdaFunction", scheduled, feedUrls),
      await invoke("PublishEventsLambdaFunction", scheduled, {}),
    ];

    // Assess
    const emitted = runs.flatMap((run) =>
      run.metrics.map((metric) => ({
        ...metric,
        service: run.environment.POWERTOOLS_SERVICE_NAME,
      })),
    );
    // The alarms of optional functions (a Condition) watch functions this test does not run.
    const watched = ofType(template, "AWS::CloudWatch::Alarm")
      .filter(([, alarm]) => alarm.Condition === undefined)
      .map(([, alarm]) => alarm.Properties)
      .filter((p) => p.Namespace === "driftwatch" && !(`${p.MetricName}` in LOG_METRICS));
    expect(watched.map((p) => p.MetricName).sort()).toEqual([...CUSTOM_METRICS].sort());
    for (const alarm of watched) {
      const dimensions = asArray(alarm.Dimensions).map((d) => [at(d, "Name"), at(d, "Value")]);
      const match = emitted.find(
        (metric) =>
          metric.namespace === alarm.Namespace &&
          metric.name === alarm.MetricName &&
          JSON.stringify(metric.dimensions.sort()) ===
            JSON.stringify(dimensions.map(([name]) => name).sort()) &&
          dimensions.every(([name, value]) => metric.values[`${name}`] === value),
      );
      expect(match, `${alarm.MetricName} ${JSON.stringify(dimensions)}`).toBeDefined();
      expect(typeof match?.values[`${alarm.MetricName}`]).toBe("number");
    }
  }, 120_000);
});
