/**
 * Reading the CloudFormation template that `serverless package` writes: navigation, and the
 * template's intrinsic functions resolved to the concrete names and ARNs CloudFormation would
 * give one deployment (an account id, region and partition picked by the caller).
 */

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  Condition?: string | undefined;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The logical id a `{ Ref }` or `{ "Fn::GetAtt" }` points at, if any. */
export function target(value: unknown): string | undefined {
  const ref = at(value, "Ref");
  if (typeof ref === "string") return ref;
  const getAtt = at(value, "Fn::GetAtt", 0);
  return typeof getAtt === "string" ? getAtt : undefined;
}

/** Where a template is deployed: what the pseudo parameters are. */
export interface Deployment {
  partition: string;
  region: string;
  accountId: string;
  stackName: string;
}

/** The deployment the IAM simulation tests resolve the packaged prod template to. */
export const TEST_DEPLOYMENT: Deployment = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "123456789012",
  stackName: "driftwatch-prod",
};

export class UnresolvableIntrinsicError extends Error {
  override readonly name = "UnresolvableIntrinsicError";
}

/** A resource's physical name, as CloudFormation names it when the template does not. */
function physicalName(deployment: Deployment, id: string, resource: CfnResource): string {
  const property = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
  }[resource.Type];
  const given = property === undefined ? undefined : resource.Properties[property];
  if (typeof given === "string") return given;
  const generated = `${deployment.stackName}-${id}-1a2b3c4d`;
  return resource.Type === "AWS::S3::Bucket" ? generated.toLowerCase() : generated;
}

/**
 * Resolves `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join` and the pseudo parameters in a template
 * value, recursively. Anything else (or a reference to a resource type it has no ARN rule for)
 * throws, so a policy is never simulated with a placeholder in it.
 */
export function intrinsicResolver(template: CfnTemplate, deployment: Deployment) {
  const { partition, region, accountId } = deployment;
  const pseudo: Record<string, string> = {
    "AWS::Partition": partition,
    "AWS::Region": region,
    "AWS::AccountId": accountId,
    "AWS::StackName": deployment.stackName,
    "AWS::URLSuffix": "amazonaws.com",
  };

  function resource(id: string): CfnResource {
    const found = template.Resources[id];
    if (found === undefined) throw new UnresolvableIntrinsicError(`no resource ${id}`);
    return found;
  }

  function arnOf(id: string): string {
    const r = resource(id);
    const name = physicalName(deployment, id, r);
    switch (r.Type) {
      case "AWS::DynamoDB::Table":
        return `arn:${partition}:dynamodb:${region}:${accountId}:table/${name}`;
      case "AWS::S3::Bucket":
        return `arn:${partition}:s3:::${name}`;
      case "AWS::SNS::Topic":
        return `arn:${partition}:sns:${region}:${accountId}:${name}`;
      case "AWS::SQS::Queue":
        return `arn:${partition}:sqs:${region}:${accountId}:${name}`;
      case "AWS::IAM::Role":
        return `arn:${partition}:iam::${accountId}:role/${name}`;
      case "AWS::Logs::LogGroup":
        return `arn:${partition}:logs:${region}:${accountId}:log-group:${name}:*`;
      case "AWS::Lambda::Function":
        return `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;
      case "AWS::KMS::Key":
        return `arn:${partition}:kms:${region}:${accountId}:key/${keyId(id)}`;
      case "AWS::StepFunctions::StateMachine":
        return `arn:${partition}:states:${region}:${accountId}:stateMachine:${name}`;
      default:
        throw new UnresolvableIntrinsicError(`no ARN rule for ${id} (${r.Type})`);
    }
  }

  /** A stable key id per logical id, in the shape KMS gives them. */
  function keyId(id: string): string {
    const hex = [...id].map((c) => c.charCodeAt(0).toString(16)).join("");
    const digits = hex.padEnd(32, "0").slice(0, 32);
    return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
  }

  function ref(name: string): string {
    const value = pseudo[name];
    if (value !== undefined) return value;
    const r = resource(name);
    switch (r.Type) {
      case "AWS::SNS::Topic":
      case "AWS::StepFunctions::StateMachine":
        return arnOf(name);
      case "AWS::SQS::Queue":
        return `https://sqs.${region}.amazonaws.com/${accountId}/${physicalName(deployment, name, r)}`;
      case "AWS::KMS::Key":
        return keyId(name);
      default:
        return physicalName(deployment, name, r);
    }
  }

  function getAtt(id: string, attribute: string): string {
    const r = resource(id);
    if (attribute === "Arn") return arnOf(id);
    if (r.Type === "AWS::DynamoDB::Table" && attribute === "StreamArn") {
      return `${arnOf(id)}/stream/2026-01-01T00:00:00.000`;
    }
    if (
      (r.Type === "AWS::SQS::Queue" && attribute === "QueueName") ||
      (r.Type === "AWS::SNS::Topic" && attribute === "TopicName")
    ) {
      return physicalName(deployment, id, r);
    }
    throw new UnresolvableIntrinsicError(`no rule for ${id}.${attribute} (${r.Type})`);
  }

  function sub(text: string, variables: Record<string, unknown>): string {
    return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      if (name in variables) return String(resolve(variables[name]));
      const [id, attribute] = name.split(".");
      if (id === undefined) throw new UnresolvableIntrinsicError(`empty Fn::Sub variable`);
      return attribute === undefined ? ref(id) : getAtt(id, attribute);
    });
  }

  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && /^(Ref|Fn::)/.test(first[0])) {
      const [name, argument] = first;
      if (name === "Ref" && typeof argument === "string") return ref(argument);
      if (name === "Fn::GetAtt") {
        const [id, attribute] = Array.isArray(argument) ? argument : `${argument}`.split(".");
        return getAtt(`${id}`, `${attribute}`);
      }
      if (name === "Fn::Sub") {
        if (typeof argument === "string") return sub(argument, {});
        const [text, variables] = argument as [string, Record<string, unknown>];
        return sub(text, variables);
      }
      if (name === "Fn::Join") {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolve(parts) as unknown[]).map(String).join(separator);
      }
      throw new UnresolvableIntrinsicError(`unsupported intrinsic ${name}`);
    }
    return Object.fromEntries(entries.map(([key, child]) => [key, resolve(child)]));
  }

  return { resolve, arnOf, ref };
}

export type IntrinsicResolver = ReturnType<typeof intrinsicResolver>;
