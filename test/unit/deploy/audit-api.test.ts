import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ROUTE_PATHS } from "#shared/query/api/audit-router";
import { asArray, at, type CfnTemplate, target } from "#test/helpers/cfn-template";
import { type PackagedService, packageService } from "#test/helpers/packaged-service";

/**
 * The audit HTTP API in the packaged template: every audit route of the service's one HTTP API
 * requires IAM authorization (API Gateway refuses an unsigned call with 403 before the function
 * runs), integrates the audit function, and that function's role reads the table and nothing
 * else. Each check returns violations; the last block breaks the real template to prove it fails.
 */

const FUNCTION = "AuditApiLambdaFunction";
const ROLE = "AuditApiRole";

let service: PackagedService;
let template: CfnTemplate;

beforeAll(async () => {
  service = await packageService({ stage: "prod", region: "eu-west-1" });
  template = service.template as CfnTemplate;
}, 300_000);

afterAll(async () => {
  await service?.remove();
});

function ofType(t: CfnTemplate, type: string) {
  return Object.entries(t.Resources).filter(([, resource]) => resource.Type === type);
}

/** The routes whose integration is the audit function, by route key. */
function auditRoutes(t: CfnTemplate) {
  const integrations = new Set(
    ofType(t, "AWS::ApiGatewayV2::Integration")
      .filter(([, integration]) => target(integration.Properties.IntegrationUri) === FUNCTION)
      .map(([id]) => id),
  );
  return ofType(t, "AWS::ApiGatewayV2::Route").filter(([, route]) => {
    const parts = at(route.Properties, "Target", "Fn::Join", 1);
    return Array.isArray(parts) && parts.some((part) => integrations.has(target(part) ?? ""));
  });
}

function routeViolations(t: CfnTemplate): string[] {
  const violations: string[] = [];
  const apis = ofType(t, "AWS::ApiGatewayV2::Api");
  if (apis.length !== 1) violations.push(`expected one HTTP API, found ${apis.length}`);
  const routes = auditRoutes(t);
  const keys = routes.map(([, route]) => `${route.Properties.RouteKey}`).sort();
  const expected = AUDIT_ROUTE_PATHS.map((path) => `GET ${path}`).sort();
  if (JSON.stringify(keys) !== JSON.stringify(expected)) {
    violations.push(`audit routes ${keys.join(", ")}; the router answers ${expected.join(", ")}`);
  }
  for (const [id, route] of routes) {
    if (route.Properties.AuthorizationType !== "AWS_IAM") {
      violations.push(`${id} (${route.Properties.RouteKey}): not IAM-authorized`);
    }
  }
  const integration = ofType(t, "AWS::ApiGatewayV2::Integration").find(
    ([, i]) => target(i.Properties.IntegrationUri) === FUNCTION,
  )?.[1];
  if (integration?.Properties.PayloadFormatVersion !== "2.0") {
    violations.push("the audit integration is not payload format 2.0");
  }
  const invokers = ofType(t, "AWS::Lambda::Permission").filter(
    ([, p]) => target(p.Properties.FunctionName) === FUNCTION,
  );
  for (const [id, permission] of invokers) {
    const source = JSON.stringify(permission.Properties.SourceArn ?? null);
    if (
      permission.Properties.Principal !== "apigateway.amazonaws.com" ||
      !source.includes('"HttpApi"')
    ) {
      violations.push(
        `${id}: lets something other than the service's HTTP API invoke the function`,
      );
    }
  }
  if (invokers.length === 0) violations.push("nothing may invoke the audit function");
  return violations;
}

function roleViolations(t: CfnTemplate): string[] {
  const violations: string[] = [];
  if (target(t.Resources[FUNCTION]?.Properties.Role) !== ROLE) {
    violations.push(`${FUNCTION}: role is not ${ROLE}`);
  }
  const statements = asArray(t.Resources[ROLE]?.Properties.Policies).flatMap((policy) =>
    asArray(at(policy, "PolicyDocument", "Statement")),
  );
  const grants = statements.flatMap((statement) => {
    if (at(statement, "Effect") !== "Allow") return [];
    const actions = asArray(at(statement, "Action")).map(String);
    const resources = asArray(at(statement, "Resource")).map((resource) =>
      JSON.stringify(resource),
    );
    return actions.flatMap((action) => resources.map((resource) => `${action} ${resource}`));
  });
  const table = JSON.stringify({ "Fn::GetAtt": ["Table", "Arn"] });
  const index = JSON.stringify({
    "Fn::Join": ["", [{ "Fn::GetAtt": ["Table", "Arn"] }, "/index/gsi1"]],
  });
  const logs = JSON.stringify({ "Fn::GetAtt": ["AuditApiLogGroup", "Arn"] });
  const expected = [
    `dynamodb:Query ${table}`,
    `dynamodb:Scan ${table}`,
    `dynamodb:Query ${index}`,
    `logs:CreateLogStream ${logs}`,
    `logs:PutLogEvents ${logs}`,
  ].sort();
  const unexpected = grants.filter((grant) => !expected.includes(grant));
  const missing = expected.filter((grant) => !grants.includes(grant));
  for (const grant of unexpected) violations.push(`${ROLE} may ${grant}`);
  for (const grant of missing) violations.push(`${ROLE} may not ${grant}`);
  return violations;
}

describe("the audit HTTP API in the packaged template", () => {
  it("routes each audit path to the audit function, IAM-authorized, invoked only by the service's HTTP API", () => {
    expect(routeViolations(template)).toEqual([]);
  });

  it("lets the audit function read the table and its index, nothing else", () => {
    expect(roleViolations(template)).toEqual([]);
  });
});

describe("the checks catch a regression", () => {
  it("an audit route open to unsigned calls", () => {
    const broken = structuredClone(template);
    const [id, route] = auditRoutes(broken)[0] ?? [];
    if (route === undefined) throw new Error("no audit route");
    route.Properties.AuthorizationType = "NONE";

    expect(routeViolations(broken)).toEqual([
      `${id} (${route.Properties.RouteKey}): not IAM-authorized`,
    ]);
  });

  it("an audit route the template does not declare", () => {
    const broken = structuredClone(template);
    const [id] = auditRoutes(broken).find(([, r]) => r.Properties.RouteKey === "GET /events") ?? [];
    if (id !== undefined) delete broken.Resources[id];

    expect(routeViolations(broken)).toEqual([
      expect.stringMatching(/^audit routes .*; the router answers .*GET \/events/),
    ]);
  });

  it("a write granted to the audit role", () => {
    const broken = structuredClone(template);
    const [policy] = asArray(broken.Resources[ROLE]?.Properties.Policies) as {
      PolicyDocument: { Statement: { Action: unknown }[] };
    }[];
    const reads = policy?.PolicyDocument.Statement.find((s) =>
      JSON.stringify(s.Action).includes("Scan"),
    );
    if (reads === undefined) throw new Error("no read statement");
    reads.Action = ["dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem"];

    expect(roleViolations(broken)).toEqual([
      `${ROLE} may dynamodb:PutItem ${JSON.stringify({ "Fn::GetAtt": ["Table", "Arn"] })}`,
    ]);
  });
});
