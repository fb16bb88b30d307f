// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub templates, not JavaScript ones
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIREWALL_FEED_ROUTE_PATHS } from "#functions/commons/firewall-feed-event";
import { asArray, at, type CfnTemplate, target } from "#test/helpers/cfn-template";
import { type PackagedService, packageService } from "#test/helpers/packaged-service";

/**
 * The firewall feed in the packaged template: every feed route of the service's one HTTP API
 * goes through the token authorizer (REQUEST, payload 2.0, simple responses, the Authorization
 * header, cached), integrates the feed function; the two functions' roles grant exactly what
 * they call; the stage throttles every route. Each check returns violations; the last block
 * breaks the real template to prove it fails.
 */

const FEED = "FirewallFeedLambdaFunction";
const FEED_ROLE = "FirewallFeedRole";
const AUTHORIZER = "FeedAuthorizerLambdaFunction";
const AUTHORIZER_ROLE = "FeedAuthorizerRole";
const PARAMETER_ARN = {
  "Fn::Sub":
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/driftwatch/prod/feed-token-sha256",
};

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

/** The routes whose integration is `functionId`, by route key. */
function routesTo(t: CfnTemplate, functionId: string) {
  const integrations = new Set(
    ofType(t, "AWS::ApiGatewayV2::Integration")
      .filter(([, integration]) => target(integration.Properties.IntegrationUri) === functionId)
      .map(([id]) => id),
  );
  return ofType(t, "AWS::ApiGatewayV2::Route").filter(([, route]) => {
    const parts = at(route.Properties, "Target", "Fn::Join", 1);
    return Array.isArray(parts) && parts.some((part) => integrations.has(target(part) ?? ""));
  });
}

function authorizerViolations(t: CfnTemplate): string[] {
  const violations: string[] = [];
  const authorizers = ofType(t, "AWS::ApiGatewayV2::Authorizer").filter(([, a]) =>
    JSON.stringify(a.Properties.AuthorizerUri ?? null).includes(`"${AUTHORIZER}"`),
  );
  const [only] = authorizers;
  if (authorizers.length !== 1 || only === undefined) {
    return [`expected one authorizer calling ${AUTHORIZER}, found ${authorizers.length}`];
  }
  const [authorizerId, { Properties: p }] = only;
  const expected: Record<string, unknown> = {
    AuthorizerType: "REQUEST",
    AuthorizerPayloadFormatVersion: "2.0",
    EnableSimpleResponses: true,
    AuthorizerResultTtlInSeconds: 300,
  };
  for (const [name, value] of Object.entries(expected)) {
    if (p[name] !== value)
      violations.push(`${authorizerId}: ${name} is ${JSON.stringify(p[name])}`);
  }
  if (JSON.stringify(p.IdentitySource) !== JSON.stringify(["$request.header.Authorization"])) {
    violations.push(`${authorizerId}: identity source ${JSON.stringify(p.IdentitySource)}`);
  }
  const routes = routesTo(t, FEED);
  const keys = routes.map(([, route]) => `${route.Properties.RouteKey}`).sort();
  const expectedKeys = FIREWALL_FEED_ROUTE_PATHS.map((path) => `GET ${path}`).sort();
  if (JSON.stringify(keys) !== JSON.stringify(expectedKeys)) {
    violations.push(`feed routes ${keys.join(", ")}; the feed answers ${expectedKeys.join(", ")}`);
  }
  for (const [id, route] of routes) {
    const r = route.Properties;
    if (r.AuthorizationType !== "CUSTOM" || target(r.AuthorizerId) !== authorizerId) {
      violations.push(`${id} (${r.RouteKey}): not behind the token authorizer`);
    }
  }
  for (const fn of [FEED, AUTHORIZER]) {
    const invokers = ofType(t, "AWS::Lambda::Permission").filter(
      ([, permission]) => target(permission.Properties.FunctionName) === fn,
    );
    if (invokers.length === 0) violations.push(`nothing may invoke ${fn}`);
    for (const [id, permission] of invokers) {
      const source = JSON.stringify(permission.Properties.SourceArn ?? null);
      if (
        permission.Properties.Principal !== "apigateway.amazonaws.com" ||
        !source.includes('"HttpApi"')
      ) {
        violations.push(`${id}: lets something other than the service's HTTP API invoke ${fn}`);
      }
    }
  }
  return violations;
}

/** `action resource condition` of every Allow of a role. */
function grants(t: CfnTemplate, roleId: string): string[] {
  return asArray(t.Resources[roleId]?.Properties.Policies)
    .flatMap((policy) => asArray(at(policy, "PolicyDocument", "Statement")))
    .flatMap((statement) => {
      if (at(statement, "Effect") !== "Allow") return [];
      const condition = at(statement, "Condition");
      const suffix = condition === undefined ? "" : ` if ${JSON.stringify(condition)}`;
      return asArray(at(statement, "Action")).flatMap((action) =>
        asArray(at(statement, "Resource")).map(
          (resource) => `${String(action)} ${JSON.stringify(resource)}${suffix}`,
        ),
      );
    })
    .sort();
}

const ref = (id: string) => JSON.stringify({ "Fn::GetAtt": [id, "Arn"] });
const allowlists = JSON.stringify({
  "Fn::Join": ["", [{ "Fn::GetAtt": ["Bucket", "Arn"] }, "/allowlists/*"]],
});
const catalogueOnly = ` if ${JSON.stringify({
  "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["CATALOGUE#clearswift-seg-5.3"] },
})}`;
const throughSsm = ` if ${JSON.stringify({
  StringEquals: {
    "kms:ViaService": { "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com" },
    "kms:EncryptionContext:PARAMETER_ARN": PARAMETER_ARN,
  },
})}`;

const EXPECTED_GRANTS: Record<string, string[]> = {
  [FEED_ROLE]: [
    `dynamodb:GetItem ${ref("Table")}${catalogueOnly}`,
    `dynamodb:Query ${ref("Table")}${catalogueOnly}`,
    `logs:CreateLogStream ${ref("FirewallFeedLogGroup")}`,
    `logs:PutLogEvents ${ref("FirewallFeedLogGroup")}`,
    `s3:GetObject ${allowlists}`,
    // An unknown group answers 404, not 403.
    `s3:ListBucket ${ref("Bucket")}`,
  ],
  [AUTHORIZER_ROLE]: [
    `kms:Decrypt ${JSON.stringify({ "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*" })}${throughSsm}`,
    `logs:CreateLogStream ${ref("FeedAuthorizerLogGroup")}`,
    `logs:PutLogEvents ${ref("FeedAuthorizerLogGroup")}`,
    `ssm:GetParameter ${JSON.stringify(PARAMETER_ARN)}`,
  ],
};

function roleViolations(t: CfnTemplate): string[] {
  const violations: string[] = [];
  for (const [fn, roleId] of [
    [FEED, FEED_ROLE],
    [AUTHORIZER, AUTHORIZER_ROLE],
  ] as const) {
    if (target(t.Resources[fn]?.Properties.Role) !== roleId) {
      violations.push(`${fn}: role is not ${roleId}`);
    }
    const granted = grants(t, roleId);
    const expected = [...(EXPECTED_GRANTS[roleId] ?? [])].sort();
    for (const grant of granted.filter((g) => !expected.includes(g))) {
      violations.push(`${roleId} may ${grant}`);
    }
    for (const grant of expected.filter((g) => !granted.includes(g))) {
      violations.push(`${roleId} may not ${grant}`);
    }
  }
  return violations;
}

function throttlingViolations(t: CfnTemplate): string[] {
  const stages = ofType(t, "AWS::ApiGatewayV2::Stage");
  const [only] = stages;
  if (stages.length !== 1 || only === undefined) {
    return [`expected one HTTP API stage, found ${stages.length}`];
  }
  const [id, stage] = only;
  const settings = at(stage.Properties, "DefaultRouteSettings");
  const violations: string[] = [];
  for (const [name, value] of [
    ["ThrottlingRateLimit", 25],
    ["ThrottlingBurstLimit", 50],
  ] as const) {
    if (at(settings, name) !== value) {
      violations.push(`${id}: ${name} is ${JSON.stringify(at(settings, name))}, not ${value}`);
    }
  }
  return violations;
}

describe("the firewall feed in the packaged template", () => {
  it("routes each feed path to the feed function through the token authorizer, invoked only by the HTTP API", () => {
    expect(authorizerViolations(template)).toEqual([]);
  });

  it("lets the feed read its catalogue's versions and the allowlists, the authorizer its one parameter", () => {
    expect(roleViolations(template)).toEqual([]);
  });

  it("throttles every route of the HTTP API at the stage, audit and feed", () => {
    expect(throttlingViolations(template)).toEqual([]);
    // The audit routes and the feed routes are on that one API and stage.
    const apis = ofType(template, "AWS::ApiGatewayV2::Api");
    expect(apis).toHaveLength(1);
    expect(routesTo(template, "AuditApiLambdaFunction").length).toBeGreaterThan(0);
  });

  it("tells the authorizer which parameter holds the hashes and how long to keep them", () => {
    const variables = at(template.Resources[AUTHORIZER]?.Properties, "Environment", "Variables");
    expect(at(variables, "DRIFTWATCH_FEED_TOKEN_PARAMETER")).toBe(
      "/driftwatch/prod/feed-token-sha256",
    );
    expect(at(variables, "DRIFTWATCH_FEED_TOKEN_CACHE_SECONDS")).toBe("300");
  });
});

describe("the checks catch a regression", () => {
  it("a feed route open without a token", () => {
    const broken = structuredClone(template);
    const [id, route] = routesTo(broken, FEED)[0] ?? [];
    if (route === undefined) throw new Error("no feed route");
    route.Properties.AuthorizationType = "NONE";
    delete route.Properties.AuthorizerId;

    expect(authorizerViolations(broken)).toEqual([
      `${id} (${route.Properties.RouteKey}): not behind the token authorizer`,
    ]);
  });

  it("an authorizer answer kept by API Gateway for another header", () => {
    const broken = structuredClone(template);
    const [id, authorizer] = ofType(broken, "AWS::ApiGatewayV2::Authorizer")[0] ?? [];
    if (authorizer === undefined) throw new Error("no authorizer");
    authorizer.Properties.IdentitySource = ["$request.header.Host"];

    expect(authorizerViolations(broken)).toEqual([
      `${id}: identity source ["$request.header.Host"]`,
    ]);
  });

  it("a write, or a parameter wildcard, granted to the feed's roles", () => {
    const broken = structuredClone(template);
    const statements = (role: string) =>
      at(broken.Resources[role]?.Properties, "Policies", 0, "PolicyDocument", "Statement") as {
        Sid?: string;
        Action: unknown;
        Resource: unknown;
      }[];
    const versions = statements(FEED_ROLE).find((s) => s.Sid === "AllowlistVersions");
    const hashes = statements(AUTHORIZER_ROLE).find((s) => s.Sid === "TokenHashes");
    if (versions === undefined || hashes === undefined) throw new Error("no statements");
    versions.Action = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"];
    hashes.Resource = "*";

    expect(roleViolations(broken)).toEqual([
      `${FEED_ROLE} may dynamodb:PutItem ${ref("Table")}${catalogueOnly}`,
      `${AUTHORIZER_ROLE} may ssm:GetParameter "*"`,
      `${AUTHORIZER_ROLE} may not ssm:GetParameter ${JSON.stringify(PARAMETER_ARN)}`,
    ]);
  });

  it("a stage without throttling", () => {
    const broken = structuredClone(template);
    const [id, stage] = ofType(broken, "AWS::ApiGatewayV2::Stage")[0] ?? [];
    if (stage === undefined) throw new Error("no stage");
    stage.Properties.DefaultRouteSettings = { DetailedMetricsEnabled: false };

    expect(throttlingViolations(broken)).toEqual([
      `${id}: ThrottlingRateLimit is undefined, not 25`,
      `${id}: ThrottlingBurstLimit is undefined, not 50`,
    ]);
  });
});
