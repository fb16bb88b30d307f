import {
  anonymousPrincipal,
  getDenialReasons,
  type RequestDenial,
  runSimulation,
  type Simulation,
} from "@cloud-copilot/iam-simulate";
import type { RecordedAwsCall } from "./aws-call-recorder";
import {
  asArray,
  at,
  type CfnTemplate,
  type Deployment,
  type IntrinsicResolver,
  intrinsicResolver,
  target,
} from "./cfn-template";

/**
 * The generated template's IAM, simulated with @cloud-copilot/iam-simulate: each function's role
 * policies and the resource policies (bucket, topic, key, queue, table) with the intrinsics
 * resolved to one deployment's ARNs. Recorded AWS calls are turned into the authorizations AWS
 * makes for them (an SNS publish to an encrypted topic is also the publisher's KMS use, a
 * missing S3 key answers 404 only with s3:ListBucket) and each one is simulated.
 */

/** One authorization AWS makes: the IAM action on a resource of the template. */
export interface Authorization {
  action: string;
  resource: string;
  /** The logical id of the resource whose policy applies (the bucket for an object). */
  resourceId: string;
  /** Request context keys beyond the principal's and the transport's. */
  context?: Record<string, string | string[]>;
  /**
   * A resource outside the template (an SSM parameter, a prefix list, the parameter's key): its
   * resource policy, if it has one, instead of the template's.
   */
  external?: { policy?: unknown };
  /** Why AWS checks it, e.g. the API operation. */
  because: string;
}

/** Which template resource each local name stands for (logical ids). */
export interface LocalBindings {
  tables: Record<string, string>;
  buckets: Record<string, string>;
  /** Topic ARN → logical id. */
  topics: Record<string, string>;
  /** Queue URL → logical id. */
  queues?: Record<string, string>;
  /**
   * SSM parameters the deployment reads (made by its operator, not the template), by name; a
   * SecureString with the KMS key it is encrypted under and that key's policy.
   */
  parameters?: Record<string, { key?: { arn: string; policy: unknown } }>;
  /** Managed prefix lists (made by the operator), by id: their tags. */
  prefixLists?: Record<string, Record<string, string>>;
}

/**
 * Who asks: a function (its role), a role of the template (e.g. a state machine's), another
 * role of the account, or nobody (unsigned).
 */
export type Caller =
  | { kind: "function"; functionId: string }
  | { kind: "templateRole"; roleId: string }
  | { kind: "role"; name: string; policies: unknown[] }
  | { kind: "anonymous" };

export interface SimulationVerdict {
  caller: string;
  action: string;
  resource: string;
  because: string;
  result: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";
  /** Which policy denied, e.g. `resource policy statement DenyInsecureTransport`. */
  deniedBy: string[];
}

export class UnboundResourceError extends Error {
  override readonly name = "UnboundResourceError";
}

const S3_OBJECT_ACTIONS: Record<string, string> = {
  GetObject: "s3:GetObject",
  HeadObject: "s3:GetObject",
  GetObjectVersion: "s3:GetObjectVersion",
  HeadObjectVersion: "s3:GetObjectVersion",
  PutObject: "s3:PutObject",
  MultipartUpload: "s3:PutObject",
  CopyObject: "s3:PutObject",
  DeleteObject: "s3:DeleteObject",
};

const S3_BUCKET_ACTIONS: Record<string, string> = {
  ListObjectsV2: "s3:ListBucket",
  ListObjects: "s3:ListBucket",
  HeadBucket: "s3:ListBucket",
  ListObjectVersions: "s3:ListBucketVersions",
  DeleteObjects: "s3:DeleteObject",
};

export function createIamModel(template: CfnTemplate, deployment: Deployment) {
  const resolver: IntrinsicResolver = intrinsicResolver(template, deployment);
  const { accountId, region } = deployment;

  function resource(id: string) {
    const found = template.Resources[id];
    if (found === undefined) throw new UnboundResourceError(`no resource ${id} in the template`);
    return found;
  }

  function bound(
    kind: "tables" | "buckets" | "topics" | "queues",
    bindings: LocalBindings,
    local: string,
  ): string {
    const id = bindings[kind]?.[local];
    if (id === undefined) {
      throw new UnboundResourceError(`a call to ${local}, which no resource of the template is`);
    }
    return id;
  }

  /** The authorizations AWS makes for one recorded call. */
  function authorizationsFor(call: RecordedAwsCall, bindings: LocalBindings): Authorization[] {
    const because = call.operation;
    switch (call.service) {
      case "dynamodb":
        return (call.tables ?? []).map((table) => {
          const resourceId = bound("tables", bindings, table);
          const arn = resolver.arnOf(resourceId);
          return {
            action: `dynamodb:${call.operation}`,
            resource: call.indexName ? `${arn}/index/${call.indexName}` : arn,
            resourceId,
            ...(call.partitionKeys === undefined
              ? { because }
              : {
                  context: { "dynamodb:LeadingKeys": call.partitionKeys },
                  because: `${because} of ${call.partitionKeys.join(", ")}`,
                }),
          };
        });
      case "s3": {
        const resourceId = bound("buckets", bindings, call.bucket ?? "");
        const bucketArn = resolver.arnOf(resourceId);
        const objectAction = call.key === undefined ? undefined : S3_OBJECT_ACTIONS[call.operation];
        const bucketAction = call.key === undefined ? S3_BUCKET_ACTIONS[call.operation] : undefined;
        const authorizations: Authorization[] = [];
        if (objectAction !== undefined) {
          authorizations.push({
            action: objectAction,
            resource: `${bucketArn}/${call.key}`,
            resourceId,
            because,
          });
        } else if (bucketAction !== undefined) {
          authorizations.push({ action: bucketAction, resource: bucketArn, resourceId, because });
        } else {
          throw new UnboundResourceError(`no IAM action known for S3 ${call.operation}`);
        }
        if (call.copySource !== undefined) {
          const [sourceBucket = "", ...sourceKey] = call.copySource.split("/");
          const sourceId = bound("buckets", bindings, sourceBucket);
          authorizations.push({
            action: "s3:GetObject",
            resource: `${resolver.arnOf(sourceId)}/${sourceKey.join("/")}`,
            resourceId: sourceId,
            because: `${because} (source)`,
          });
        }
        // Without s3:ListBucket, S3 answers 403 for a missing key, not 404.
        if (
          call.status === 404 &&
          (objectAction === "s3:GetObject" || objectAction === "s3:GetObjectVersion")
        ) {
          authorizations.push({
            action: "s3:ListBucket",
            resource: bucketArn,
            resourceId,
            because: `${because} of a missing key (404, not 403)`,
          });
        }
        return authorizations;
      }
      case "sns": {
        const resourceId = bound("topics", bindings, call.topicArn ?? "");
        const topicArn = resolver.arnOf(resourceId);
        const authorizations: Authorization[] = [
          { action: `sns:${call.operation}`, resource: topicArn, resourceId, because },
        ];
        if (call.operation === "Publish") authorizations.push(...topicKeyUse(resourceId, topicArn));
        return authorizations;
      }
      case "ssm":
        return parameterRead(call, bindings);
      case "ec2":
        return prefixListCall(call, bindings);
      case "sqs": {
        const resourceId = bound("queues", bindings, call.queueUrl ?? "");
        return [
          {
            action: `sqs:${call.operation}`,
            resource: resolver.arnOf(resourceId),
            resourceId,
            because,
          },
        ];
      }
    }
  }

  /** GetParameter; decrypted, also SSM's use of the parameter's key on the caller's behalf. */
  function parameterRead(call: RecordedAwsCall, bindings: LocalBindings): Authorization[] {
    const name = call.parameterName ?? "";
    const parameter = bindings.parameters?.[name];
    if (parameter === undefined) {
      throw new UnboundResourceError(`a read of parameter ${name}, which no binding names`);
    }
    const path = name.startsWith("/") ? name : `/${name}`;
    const arn = `arn:${deployment.partition}:ssm:${region}:${accountId}:parameter${path}`;
    const read: Authorization = {
      action: `ssm:${call.operation}`,
      resource: arn,
      resourceId: `parameter ${name}`,
      external: {},
      because: call.operation,
    };
    if (parameter.key === undefined || call.withDecryption !== true) return [read];
    return [
      read,
      {
        action: "kms:Decrypt",
        resource: parameter.key.arn,
        resourceId: `key of parameter ${name}`,
        external: { policy: parameter.key.policy },
        context: {
          "kms:ViaService": `ssm.${region}.amazonaws.com`,
          "kms:CallerAccount": accountId,
          "kms:EncryptionContext:PARAMETER_ARN": arn,
        },
        because: `${call.operation} WithDecryption of a SecureString`,
      },
    ];
  }

  /** An EC2 managed-prefix-list call: on every list (describe), or on the lists it names. */
  function prefixListCall(call: RecordedAwsCall, bindings: LocalBindings): Authorization[] {
    const action = `ec2:${call.operation}`;
    const requested = { "aws:RequestedRegion": region };
    if (call.operation === "DescribeManagedPrefixLists") {
      return [
        {
          action,
          resource: "*",
          resourceId: "prefix lists",
          external: {},
          context: requested,
          because: call.operation,
        },
      ];
    }
    return (call.prefixListIds ?? []).map((id) => {
      const tags = bindings.prefixLists?.[id];
      if (tags === undefined)
        throw new UnboundResourceError(`a call on ${id}, which no binding names`);
      return {
        action,
        resource: `arn:${deployment.partition}:ec2:${region}:${accountId}:prefix-list/${id}`,
        resourceId: `prefix list ${id}`,
        external: {},
        context: {
          ...requested,
          ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
        },
        because: call.operation,
      };
    });
  }

  /** Publishing to an encrypted topic: SNS uses the topic's key on the publisher's behalf. */
  function topicKeyUse(topicId: string, topicArn: string): Authorization[] {
    const keyRef = resource(topicId).Properties.KmsMasterKeyId;
    if (keyRef === undefined) return [];
    const keyId = target(keyRef);
    if (keyId === undefined || resource(keyId).Type !== "AWS::KMS::Key") {
      throw new UnboundResourceError(
        `${topicId}: key ${JSON.stringify(keyRef)} is not a key of this stack`,
      );
    }
    const context = {
      "kms:ViaService": `sns.${region}.amazonaws.com`,
      "kms:CallerAccount": accountId,
      "kms:EncryptionContext:aws:sns:topicArn": topicArn,
    };
    return ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({
      action,
      resource: resolver.arnOf(keyId),
      resourceId: keyId,
      context,
      because: `Publish to encrypted ${topicId}`,
    }));
  }

  /** The resource-based policy that applies to a resource of the template, if any. */
  function resourcePolicy(resourceId: string): unknown {
    const r = resource(resourceId);
    const attached = (type: string, property: string, documentProperty = "PolicyDocument") => {
      const documents = Object.values(template.Resources)
        .filter(
          (policy) =>
            policy.Type === type &&
            asArray(policy.Properties[property]).some((ref) => target(ref) === resourceId),
        )
        .map((policy) => policy.Properties[documentProperty]);
      if (documents.length > 1) {
        throw new UnboundResourceError(`${resourceId}: more than one ${type}`);
      }
      return documents[0];
    };
    switch (r.Type) {
      case "AWS::S3::Bucket":
        return attached("AWS::S3::BucketPolicy", "Bucket");
      case "AWS::SNS::Topic":
        return attached("AWS::SNS::TopicPolicy", "Topics");
      case "AWS::SQS::Queue":
        return attached("AWS::SQS::QueuePolicy", "Queues");
      case "AWS::KMS::Key":
        return r.Properties.KeyPolicy;
      case "AWS::DynamoDB::Table":
        return at(r.Properties, "ResourcePolicy", "PolicyDocument");
      default:
        return undefined;
    }
  }

  /** A function's role: its ARN and its identity policies (inline and standalone). */
  function functionRole(functionId: string) {
    const roleId = target(resource(functionId).Properties.Role);
    if (roleId === undefined || resource(roleId).Type !== "AWS::IAM::Role") {
      throw new UnboundResourceError(`${functionId}: role is not a role of this stack`);
    }
    return templateRole(roleId);
  }

  /** A role of the template: its ARN and its identity policies (inline and standalone). */
  function templateRole(roleId: string) {
    const role = resource(roleId);
    if (role.Type !== "AWS::IAM::Role") {
      throw new UnboundResourceError(`${roleId} is not a role of this stack`);
    }
    if (asArray(role.Properties.ManagedPolicyArns).length > 0) {
      throw new UnboundResourceError(`${roleId}: managed policies cannot be simulated here`);
    }
    const inline = asArray(role.Properties.Policies).map((policy) => at(policy, "PolicyDocument"));
    const standalone = Object.values(template.Resources)
      .filter(
        (r) =>
          (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") &&
          asArray(r.Properties.Roles).some((ref) => target(ref) === roleId),
      )
      .map((r) => r.Properties.PolicyDocument);
    return { roleId, arn: resolver.arnOf(roleId), policies: [...inline, ...standalone] };
  }

  function describeDenial(denial: RequestDenial): string {
    const where =
      denial.policyType === "resource" ? "resource policy" : `${denial.policyType} policy`;
    if (denial.denialType === "Explicit") {
      return `${where} statement ${denial.statementId ?? `#${denial.statementIndex}`} denies`;
    }
    return `no ${where} statement allows`;
  }

  /**
   * Simulates one authorization for a caller. `secureTransport: false` is a request over plain
   * HTTP (every SDK call of the functions uses HTTPS).
   */
  async function simulate(
    caller: Caller,
    authorization: Authorization,
    options: { secureTransport?: boolean } = {},
  ): Promise<SimulationVerdict> {
    const context: Record<string, string | string[]> = {
      "aws:SecureTransport": options.secureTransport === false ? "false" : "true",
      ...authorization.context,
    };
    let principal: Simulation["request"]["principal"];
    let identityPolicies: Simulation["identityPolicies"] = [];
    let label: string;
    if (caller.kind === "anonymous") {
      principal = anonymousPrincipal;
      label = "anonymous";
    } else {
      const role =
        caller.kind === "function"
          ? functionRole(caller.functionId)
          : caller.kind === "templateRole"
            ? templateRole(caller.roleId)
            : {
                roleId: caller.name,
                arn: `arn:${deployment.partition}:iam::${accountId}:role/${caller.name}`,
                policies: caller.policies,
              };
      const roleName = role.arn.split("/").pop() ?? role.roleId;
      label =
        caller.kind === "function"
          ? caller.functionId
          : caller.kind === "templateRole"
            ? caller.roleId
            : `role ${caller.name}`;
      // Lambda calls AWS with a session of the role; conditions see the role as aws:PrincipalArn.
      principal = `arn:${deployment.partition}:sts::${accountId}:assumed-role/${roleName}/${label}`;
      Object.assign(context, {
        "aws:PrincipalArn": role.arn,
        "aws:PrincipalAccount": accountId,
        "aws:PrincipalType": "AssumedRole",
      });
      identityPolicies = role.policies.map((policy, index) => ({
        name: `${role.roleId}-${index}`,
        policy: resolver.resolve(policy),
      }));
    }
    const policy =
      authorization.external === undefined
        ? resourcePolicy(authorization.resourceId)
        : authorization.external.policy;
    const bucket =
      authorization.external === undefined ? resource(authorization.resourceId) : undefined;
    const simulation: Simulation = {
      request: {
        principal,
        action: authorization.action,
        resource: { resource: authorization.resource, accountId },
        contextVariables: context,
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(policy === undefined ? {} : { resourcePolicy: resolver.resolve(policy) }),
      ...(bucket?.Type === "AWS::S3::Bucket"
        ? {
            additionalSettings: {
              s3: {
                blockPublicAccess:
                  at(
                    bucket.Properties,
                    "PublicAccessBlockConfiguration",
                    "RestrictPublicBuckets",
                  ) === true,
              },
            },
          }
        : {}),
    };
    const response = await runSimulation(pinEncryptionContextKey(simulation), {});
    if (response.resultType === "error") {
      throw new Error(
        `${label} ${authorization.action} ${authorization.resource}: the simulation could not run: ` +
          `${response.errors.message} ${JSON.stringify(response.errors)}`,
      );
    }
    const result = response.overallResult;
    const analyses =
      response.resultType === "single"
        ? [response.result.analysis]
        : response.results.map((result) => result.analysis);
    return {
      caller: label,
      action: authorization.action,
      resource: authorization.resource,
      because: authorization.because,
      result,
      deniedBy:
        result === "Allowed"
          ? []
          : [
              ...new Set(
                analyses.flatMap((analysis) => getDenialReasons(analysis).map(describeDenial)),
              ),
            ],
    };
  }

  return { resolver, authorizationsFor, simulate, functionRole, templateRole };
}

export type IamModel = ReturnType<typeof createIamModel>;

/**
 * iam-simulate 0.1.173 normalises a request's context keys to the names of its data, and the
 * name of `kms:EncryptionContext:${EncryptionContextKey}` keeps its variable (it replaces only a
 * variable after a `/`, as in `aws:ResourceTag/${TagKey}`): a condition on
 * `kms:EncryptionContext:PARAMETER_ARN` then never finds its value and never matches (and its
 * unvalidated engine, `runUnsafeSimulation`, fails on a resource policy). So a request's one
 * encryption-context key is renamed to the name the library keeps, in the request and in every
 * policy condition on that same key; a condition on another encryption-context key is left as
 * it is, and never matches (a deny, never a false allow).
 */
function pinEncryptionContextKey(simulation: Simulation): Simulation {
  const context = simulation.request.contextVariables;
  const keys = Object.keys(context).filter((key) => /^kms:EncryptionContext:/i.test(key));
  const [key] = keys;
  if (key === undefined || keys.length > 1) return simulation;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the key's name in iam-simulate's data
  const pinned = "kms:EncryptionContext:${EncryptionContextKey}";
  const { [key]: value, ...rest } = context;
  const renamed = (policy: unknown) => renameConditionKey(policy, key, pinned);
  return {
    ...simulation,
    request: { ...simulation.request, contextVariables: { ...rest, [pinned]: value ?? "" } },
    identityPolicies: simulation.identityPolicies.map((p) => ({ ...p, policy: renamed(p.policy) })),
    ...(simulation.resourcePolicy === undefined
      ? {}
      : { resourcePolicy: renamed(simulation.resourcePolicy) }),
  };
}

/** A copy of a policy document whose condition keys equal to `from` (any case) read `to`. */
function renameConditionKey(policy: unknown, from: string, to: string): unknown {
  const document = structuredClone(policy) as { Statement?: unknown };
  const statements = [document.Statement ?? []].flat() as { Condition?: unknown }[];
  for (const statement of statements) {
    const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
    for (const operator of Object.values(condition ?? {})) {
      for (const name of Object.keys(operator)) {
        if (name.toLowerCase() !== from.toLowerCase()) continue;
        operator[to] = operator[name];
        delete operator[name];
      }
    }
  }
  return document;
}

/** A verdict as one line: who, what, on which resource, why it was checked, and the result. */
export function describeVerdict(verdict: SimulationVerdict): string {
  const denied = verdict.deniedBy.length > 0 ? ` (${verdict.deniedBy.join("; ")})` : "";
  return `${verdict.caller} ${verdict.action} on ${verdict.resource} [${verdict.because}]: ${verdict.result}${denied}`;
}

/**
 * The distinct authorizations behind recorded calls (action, resource, reason and request
 * context), in first-seen order: what a function's role is simulated for.
 */
export function uniqueAuthorizations(
  model: IamModel,
  calls: readonly RecordedAwsCall[],
  bindings: LocalBindings,
): Authorization[] {
  const unique = new Map<string, Authorization>();
  for (const call of calls) {
    for (const authorization of model.authorizationsFor(call, bindings)) {
      const { action, resource, because, context } = authorization;
      const key = `${action} ${resource} ${because} ${JSON.stringify(context ?? {})}`;
      if (!unique.has(key)) unique.set(key, authorization);
    }
  }
  return [...unique.values()];
}
