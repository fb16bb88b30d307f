import { createHash } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREFIX_LIST_GROUP_TAG, PREFIX_LIST_STAGE_TAG } from "#shared/adapters/ec2/prefix-lists";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { groupAllowlist } from "#shared/allowlists/build";
import { allowlistKeys, renderAllowlistJson } from "#shared/allowlists/render";
import { type AwsCallRecorder, startAwsCallRecorder } from "#test/helpers/aws-call-recorder";
import { at, type CfnTemplate, TEST_DEPLOYMENT } from "#test/helpers/cfn-template";
import { type FakePrefixList, fakePrefixList } from "#test/helpers/ec2-prefix-list-fake";
import { startEc2PrefixListServer } from "#test/helpers/ec2-prefix-list-server";
import { feedAuthorizerEvent } from "#test/helpers/http-api-events";
import {
  type Authorization,
  createIamModel,
  describeVerdict,
  type IamModel,
  type LocalBindings,
  uniqueAuthorizations,
} from "#test/helpers/iam-simulation";
import { scheduledEvent } from "#test/helpers/lambda-events";
import {
  functionEnvironment,
  invokeBundle,
  type PackagedService,
  packageService,
} from "#test/helpers/packaged-service";
import { allowlistFilesOf, messagesOf, sqsEvent } from "#test/helpers/prefix-list-events";
import { startSsmParameterServer } from "#test/helpers/ssm-parameter-server";
import { startTestStack } from "#test/helpers/stack";

/**
 * The firewall-automation functions outside the detection scenario (test/e2e/functions/
 * aws-path.e2e.test.ts), proven on their packaged bundles under the template's IAM: the feed
 * authorizer reading its token hashes from SSM (a SecureString under a customer-managed key), and
 * the optional prefix-list subscriber (packaged with `prefixListSync=true`, dry run off) bringing
 * a tagged managed prefix list to its group's allowlist. Each bundle runs in its own process; SSM
 * and EC2 are loopback fakes on their wire protocols, S3 is fauxqs, and every call goes through
 * a recording proxy. Every recorded call is then simulated with @cloud-copilot/iam-simulate
 * against the function's role (and the parameter key's policy): any deny fails. The denials that
 * keep the roles least-privilege are checked beside them.
 */

const DEPLOYMENT = TEST_DEPLOYMENT;
const AUTHORIZER = "FeedAuthorizerLambdaFunction";
const SYNC = "SyncPrefixListsLambdaFunction";
const TOKEN = "s3cr3t-poller-token-0123456789abcdef";
const KEY_ARN = `arn:aws:kms:eu-west-1:${DEPLOYMENT.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** A customer-managed key's default policy: the account's IAM policies decide. */
const KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "EnableIamUserPermissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${DEPLOYMENT.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let service: PackagedService;
let template: CfnTemplate;
let iam: IamModel;
let stack: EmbeddedStack;
let bindings: LocalBindings;
let parameterName: string;
const recorders = new Map<string, AwsCallRecorder>();
const stops: (() => Promise<void>)[] = [];
const authorized: Record<string, unknown> = {};
let synced: unknown;
let reconciled: unknown;
let lists: FakePrefixList[];

/** The stack's resources in place of the template's, for the environment. */
function localResources(): Record<string, string> {
  return { Table: stack.tableName, Bucket: stack.bucketName, ChangeEventsTopic: stack.topicArn };
}

async function invoke(functionId: string, event: unknown): Promise<unknown> {
  const recorder = recorders.get(functionId);
  if (recorder === undefined) throw new Error(`no recorder for ${functionId}`);
  const environment = {
    ...functionEnvironment(template, functionId, localResources()),
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    ...recorder.environment,
  };
  return (await invokeBundle(service, functionId, event, environment)).result;
}

beforeAll(async () => {
  // Prepare: the service with the prefix-list subscriber (applying, not a dry run), the stack,
  // the token-hash parameter, two tagged lists of the group and one of another stage.
  [service, stack] = await Promise.all([
    packageService({
      stage: "prod",
      region: DEPLOYMENT.region,
      params: { prefixListSync: "true", prefixListDryRun: "false" },
    }),
    startTestStack(),
  ]);
  template = service.template as CfnTemplate;
  iam = createIamModel(template, DEPLOYMENT);
  parameterName = `${functionEnvironment(template, AUTHORIZER, localResources()).DRIFTWATCH_FEED_TOKEN_PARAMETER}`;
  const ssm = await startSsmParameterServer(
    { [parameterName]: { type: "SecureString", value: `sha256:${sha256(TOKEN)}` } },
    DEPLOYMENT,
  );
  const tags = (stage: string) => ({
    [PREFIX_LIST_GROUP_TAG]: "ntp",
    [PREFIX_LIST_STAGE_TAG]: stage,
  });
  lists = [
    fakePrefixList({ id: "pl-0ntp4", tags: tags("prod"), entries: ["192.0.2.10/32"] }),
    fakePrefixList({ id: "pl-0ntp6", family: "IPv6", tags: tags("prod") }),
    fakePrefixList({ id: "pl-0staging", tags: tags("staging") }),
    // A group a catalogue revision emptied: no IP event names it, the reconcile empties its list.
    fakePrefixList({
      id: "pl-0help",
      tags: { ...tags("prod"), [PREFIX_LIST_GROUP_TAG]: "online-help" },
      entries: ["203.0.113.50/32"],
    }),
  ];
  const ec2 = await startEc2PrefixListServer(lists);
  stops.push(ssm.stop, ec2.stop);
  const files = allowlistFilesOf();
  const emptied = groupAllowlist("clearswift-seg-5.3", "online-help", []);
  files.set(allowlistKeys("online-help").json, {
    bytes: new TextEncoder().encode(renderAllowlistJson(emptied, new Date().toISOString())),
    metadata: {},
  });
  for (const [key, { bytes }] of files) {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: bytes }),
    );
  }
  const upstreams = {
    dynamodb: stack.dynamodbEndpoint,
    messaging: stack.messagingEndpoint,
    ssm: ssm.endpoint,
    ec2: ec2.endpoint,
  };
  for (const id of [AUTHORIZER, SYNC]) recorders.set(id, await startAwsCallRecorder(upstreams));
  bindings = {
    tables: {},
    buckets: { [stack.bucketName]: "Bucket" },
    topics: {},
    parameters: { [parameterName]: { key: { arn: KEY_ARN, policy: KEY_POLICY } } },
    prefixLists: Object.fromEntries(lists.map((list) => [list.id, list.tags])),
  };

  // Act
  authorized.bearer = await invoke(AUTHORIZER, feedAuthorizerEvent(`Bearer ${TOKEN}`));
  authorized.wrong = await invoke(AUTHORIZER, feedAuthorizerEvent("Bearer not-the-token"));
  synced = await invoke(SYNC, sqsEvent(messagesOf()));
  reconciled = await invoke(
    SYNC,
    scheduledEvent(new Date().toISOString(), "prefix-list-reconcile"),
  );
}, 240_000);

afterAll(async () => {
  for (const recorder of recorders.values()) await recorder.stop();
  for (const stop of stops) await stop();
  await stack?.stop();
  await service?.remove();
});

function authorizationsOf(functionId: string): Authorization[] {
  return uniqueAuthorizations(iam, recorders.get(functionId)?.calls ?? [], bindings);
}

async function deniedOf(
  functionId: string,
  authorizations = authorizationsOf(functionId),
  model: IamModel = iam,
) {
  const verdicts = [];
  for (const authorization of authorizations) {
    verdicts.push(await model.simulate({ kind: "function", functionId }, authorization));
  }
  return verdicts.filter((v) => v.result !== "Allowed").map(describeVerdict);
}

/** The template with the statements named `sids` taken out of a role's inline policies. */
function withoutStatements(roleId: string, sids: string[]): IamModel {
  const regressed = structuredClone(template);
  for (const policy of at(regressed.Resources[roleId]?.Properties, "Policies") as {
    PolicyDocument: { Statement: { Sid?: string }[] };
  }[]) {
    policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter(
      (statement) => !sids.includes(statement.Sid ?? ""),
    );
  }
  return createIamModel(regressed, DEPLOYMENT);
}

describe("the packaged feed authorizer, its token hashes in a SecureString", () => {
  it("lets the token in and keeps a wrong one out, reading the parameter decrypted", () => {
    expect(authorized.bearer).toMatchObject({ isAuthorized: true });
    expect(authorized.wrong).toEqual({ isAuthorized: false });
    expect(recorders.get(AUTHORIZER)?.calls).toContainEqual(
      expect.objectContaining({
        service: "ssm",
        operation: "GetParameter",
        parameterName,
        withDecryption: true,
        status: 200,
      }),
    );
  });

  it("is allowed every call it made: the parameter read, and SSM's decrypt for it", async () => {
    const authorizations = authorizationsOf(AUTHORIZER);

    expect(authorizations.map((a) => a.action)).toEqual(["ssm:GetParameter", "kms:Decrypt"]);
    expect(await deniedOf(AUTHORIZER, authorizations)).toEqual([]);
  });

  it("is denied the decrypt once the role's KMS statement is taken out", async () => {
    const model = withoutStatements("FeedAuthorizerRole", ["DecryptTokenHashesThroughSsm"]);

    const denied = await deniedOf(AUTHORIZER, authorizationsOf(AUTHORIZER), model);

    expect(denied).toEqual([expect.stringMatching(/ kms:Decrypt on .*ImplicitlyDenied/)]);
  });

  it("may decrypt only through SSM, and only for its own parameter", async () => {
    const decrypt = authorizationsOf(AUTHORIZER).find((a) => a.action === "kms:Decrypt");
    if (decrypt === undefined) throw new Error("no decrypt recorded");
    const otherParameter = `arn:aws:ssm:eu-west-1:${DEPLOYMENT.accountId}:parameter/other/secret`;
    const variants: Authorization[] = [
      { ...decrypt, context: { ...decrypt.context, "kms:ViaService": undefined } as never },
      {
        ...decrypt,
        context: { ...decrypt.context, "kms:EncryptionContext:PARAMETER_ARN": otherParameter },
      },
    ].map((variant) => ({
      ...variant,
      context: Object.fromEntries(
        Object.entries(variant.context ?? {}).filter(([, value]) => value !== undefined),
      ),
    }));

    const denied = await deniedOf(AUTHORIZER, variants);

    expect(denied).toHaveLength(2);
    expect(denied.every((line: string) => line.includes("ImplicitlyDenied"))).toBe(true);
  });

  it("may read no other parameter", async () => {
    const [other] = iam.authorizationsFor(
      { service: "ssm", operation: "GetParameter", parameterName: "/other/secret", status: 200 },
      { ...bindings, parameters: { "/other/secret": {} } },
    );
    if (other === undefined) throw new Error("no authorization");

    expect(await deniedOf(AUTHORIZER, [other])).toHaveLength(1);
  });
});

describe("the packaged prefix-list subscriber, applying", () => {
  it("brings the group's tagged lists of its stage to the allowlist, and no other list", () => {
    const byId = new Map(lists.map((list) => [list.id, [...list.entries.keys()].sort()]));

    expect(synced).toMatchObject({ batchItemFailures: [] });
    expect(byId.get("pl-0ntp4")).toEqual(["162.159.200.1/32", "162.159.200.123/32"]);
    expect(byId.get("pl-0ntp6")).toEqual(["2606:4700:f1::123/128"]);
    expect(byId.get("pl-0staging")).toEqual([]);
  });

  it("on its schedule, also empties the list of a group no notification named", () => {
    const help = lists.find((list) => list.id === "pl-0help");

    expect(reconciled).toMatchObject({
      reports: [
        { group: "ntp", allowlist: "found" },
        { group: "online-help", allowlist: "found" },
      ],
    });
    expect([...(help?.entries.keys() ?? ["not found"])]).toEqual([]);
  });

  it("is allowed every call it made: the allowlist read, the lists found, read and modified", async () => {
    const authorizations = authorizationsOf(SYNC);

    expect(new Set(authorizations.map((a) => a.action))).toEqual(
      new Set([
        "s3:GetObject",
        "ec2:DescribeManagedPrefixLists",
        "ec2:GetManagedPrefixListEntries",
        "ec2:ModifyManagedPrefixList",
      ]),
    );
    expect(await deniedOf(SYNC, authorizations)).toEqual([]);
  });

  it("is denied the lists' entries and changes once the tagged-lists statement is taken out", async () => {
    const model = withoutStatements("SyncPrefixListsRole", ["TaggedPrefixLists"]);

    const denied = (await deniedOf(SYNC, authorizationsOf(SYNC), model)).sort();

    expect(denied).toEqual([
      expect.stringMatching(/ ec2:GetManagedPrefixListEntries on .*pl-0help .*ImplicitlyDenied/),
      expect.stringMatching(/ ec2:GetManagedPrefixListEntries on .*pl-0ntp4 .*ImplicitlyDenied/),
      expect.stringMatching(/ ec2:GetManagedPrefixListEntries on .*pl-0ntp6 .*ImplicitlyDenied/),
      expect.stringMatching(/ ec2:ModifyManagedPrefixList on .*pl-0help .*ImplicitlyDenied/),
      expect.stringMatching(/ ec2:ModifyManagedPrefixList on .*pl-0ntp4 .*ImplicitlyDenied/),
      expect.stringMatching(/ ec2:ModifyManagedPrefixList on .*pl-0ntp6 .*ImplicitlyDenied/),
    ]);
  });

  it("may modify no list of another stage, nor one without a group tag", async () => {
    const modify = (id: string, tags: Record<string, string>) =>
      iam.authorizationsFor(
        {
          service: "ec2",
          operation: "ModifyManagedPrefixList",
          prefixListIds: [id],
          status: 200,
        },
        { ...bindings, prefixLists: { [id]: tags } },
      );

    const denied = await deniedOf(SYNC, [
      ...modify("pl-0staging", {
        [PREFIX_LIST_GROUP_TAG]: "ntp",
        [PREFIX_LIST_STAGE_TAG]: "staging",
      }),
      ...modify("pl-0untagged", { [PREFIX_LIST_STAGE_TAG]: "prod" }),
      ...modify("pl-0bare", {}),
    ]);

    expect(denied).toHaveLength(3);
  });

  it("is the only role of the template that may modify a prefix list", () => {
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::IAM::Role");
    const modifying = roles
      .filter(([, role]) => JSON.stringify(at(role.Properties, "Policies")).includes("ec2:Modify"))
      .map(([id]) => id);

    expect(modifying).toEqual(["SyncPrefixListsRole"]);
  });
});
