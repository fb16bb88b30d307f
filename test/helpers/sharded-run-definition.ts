import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { at } from "./cfn-template";
import type { AslMachine } from "./state-machine";

/**
 * The sharded run's state machine as serverless.yml declares it (ShardedRunStateMachine's
 * DefinitionString, an Fn::Sub), without packaging: the YAML read as osls reads it, `${param:…}`
 * taken from the default stage parameters, and each Fn::Sub variable (the three functions'
 * ARNs) replaced by the ARN given for it.
 */

const REPO_ROOT = resolve(import.meta.dirname, "../..");
/** js-yaml comes with osls and has no type declarations here. */
const yaml = createRequire(import.meta.url)("js-yaml") as { load(text: string): unknown };

export const LOCAL_ARNS = {
  PlanRunArn: "arn:aws:lambda:eu-west-1:123456789012:function:driftwatch-test-planRun",
  ResolveShardArn: "arn:aws:lambda:eu-west-1:123456789012:function:driftwatch-test-resolveShard",
  CompleteRunArn: "arn:aws:lambda:eu-west-1:123456789012:function:driftwatch-test-completeRun",
} as const;

export function serverlessYml(): unknown {
  return yaml.load(readFileSync(resolve(REPO_ROOT, "serverless.yml"), "utf8"));
}

/** The definition's text and its Fn::Sub variables, as written. */
export function shardedRunDefinitionSource(): { text: string; variables: Record<string, unknown> } {
  const sub = at(
    serverlessYml(),
    "resources",
    "Resources",
    "ShardedRunStateMachine",
    "Properties",
    "DefinitionString",
    "Fn::Sub",
  );
  if (!Array.isArray(sub) || typeof sub[0] !== "string") {
    throw new Error("ShardedRunStateMachine.DefinitionString is not an Fn::Sub [text, variables]");
  }
  return { text: sub[0], variables: (sub[1] ?? {}) as Record<string, unknown> };
}

/** The definition, parsed, with `arns` for the Fn::Sub variables (every one must be given). */
export function shardedRunDefinition(arns: Record<string, string> = LOCAL_ARNS): AslMachine {
  const { text, variables } = shardedRunDefinitionSource();
  const params = at(serverlessYml(), "params", "default") as Record<string, unknown>;
  const substituted = text
    .replace(/\$\{param:([A-Za-z0-9]+)\}/g, (_m, name: string) => {
      if (!(name in params)) throw new Error(`no default parameter ${name}`);
      return String(params[name]);
    })
    .replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name: string) => {
      const arn = arns[name];
      if (arn === undefined || !(name in variables)) throw new Error(`no ARN for \${${name}}`);
      return arn;
    });
  return JSON.parse(substituted) as AslMachine;
}
