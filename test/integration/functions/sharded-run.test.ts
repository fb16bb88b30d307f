import { readFile } from "node:fs/promises";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AwsClients } from "#shared/adapters/aws/clients";
import { DynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { resolvableHostnames } from "#shared/catalogue/schema";
import { dynamoUnavailable } from "#test/helpers/faults";
import { lambdaContext, scheduledEvent } from "#test/helpers/lambda-events";
import { LOCAL_ARNS, shardedRunDefinition } from "#test/helpers/sharded-run-definition";
import { startTestStack } from "#test/helpers/stack";
import { ExecutionFailedError, runStateMachine } from "#test/helpers/state-machine";

/**
 * The sharded run through its state machine (serverless.yml's definition, run by the ASL
 * interpreter of test/helpers/state-machine.ts), each task a real handler (plan-run,
 * resolve-shard, complete-run) on the embedded stack, asking a loopback zone server. The same
 * scheduled runs go through resolve-hostnames on a second stack: the sharded run must leave the
 * same state, events and allowlists. Then a shard that fails every attempt: the run is not
 * judged, the last good state stays, nothing reads as removed, and the next run judges what the
 * failed one saved.
 */

const CATALOGUE_ID = "clearswift-seg-5.3";
const QUARTER_HOUR = 15 * 60_000;
/** Four scheduled times, the last quarter hours before now (a schedule never fires ahead). */
const base = Math.floor(Date.now() / QUARTER_HOUR) * QUARTER_HOUR;
const SCHEDULES = [4, 3, 2, 1].map((quarters) =>
  new Date(base - quarters * QUARTER_HOUR).toISOString().replace(/\.000Z$/, "Z"),
);
const runIdOf = (time: string | undefined) => `${time?.slice(0, 16)}Z`;
/** Allowlist text without its times (the two paths observe a few milliseconds apart). */
const timeless = (text: string) => text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>");

function handlerEnv(stack: EmbeddedStack, dns: ZoneDnsServer): Record<string, string> {
  return {
    DRIFTWATCH_TABLE_NAME: stack.tableName,
    DRIFTWATCH_BUCKET_NAME: stack.bucketName,
    DRIFTWATCH_CATALOGUE_ID: CATALOGUE_ID,
    DRIFTWATCH_DNS_SERVERS: dns.address,
    DRIFTWATCH_DNS_TIMEOUT_MS: "300",
    DRIFTWATCH_DNS_TRIES: "1",
    DRIFTWATCH_SHARD_COUNT: "3",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

/** The stack's clients, with every DynamoDB write refused (a shard whose saves fail). */
function refusingWrites(clients: AwsClients): AwsClients {
  const send = clients.documents.send.bind(clients.documents);
  const documents = new Proxy(clients.documents, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return (command: object, ...rest: unknown[]) =>
        /^(Put|Update|BatchWrite|TransactWrite|Delete)Command$/.test(command.constructor.name)
          ? Promise.reject(dynamoUnavailable())
          : (send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
    },
  });
  return { ...clients, documents };
}

const context = lambdaContext({ functionName: "driftwatch-test" });

/** One execution of the state machine on `stack` for the schedule `time`. */
async function shardedRun(
  stack: EmbeddedStack,
  env: Record<string, string>,
  time: string,
  options: { failingShard?: number } = {},
) {
  const { createPlanRunHandler } = await import("#functions/plan-run");
  const { createResolveShardHandler } = await import("#functions/resolve-shard");
  const { createCompleteRunHandler } = await import("#functions/complete-run");
  const dependencies = { clients: stack.clients };
  const plan = createPlanRunHandler(env, dependencies);
  const resolve = createResolveShardHandler(env, dependencies);
  const failing = createResolveShardHandler(env, {
    ...dependencies,
    clients: refusingWrites(stack.clients),
  });
  const complete = createCompleteRunHandler(env, dependencies);
  const calls: string[] = [];
  const execution = runStateMachine(
    shardedRunDefinition(),
    scheduledEvent(time, "driftwatch-test-sharded-run"),
    async (resource, input) => {
      if (resource === LOCAL_ARNS.PlanRunArn) return plan(input, context);
      if (resource === LOCAL_ARNS.CompleteRunArn) {
        calls.push("complete");
        return complete(input, context);
      }
      const shard = (input as { shard: { shard: number } }).shard.shard;
      calls.push(`shard ${shard}`);
      return (shard === options.failingShard ? failing : resolve)(input, context);
    },
  );
  return { execution, calls };
}

async function singleRun(stack: EmbeddedStack, env: Record<string, string>, time: string) {
  const { createResolveHostnamesHandler } = await import("#functions/resolve-hostnames");
  const handler = createResolveHostnamesHandler(env, {
    clients: stack.clients,
  });
  return handler(scheduledEvent(time, "driftwatch-test-resolve"), context);
}

/** What a run leaves: every hostname's state, the committed events and the allowlist files. */
async function stateOf(stack: EmbeddedStack, hostnames: string[]) {
  const tables = { documents: stack.clients.documents, tableName: stack.tableName };
  const latest = await createDynamoObservationStore(tables).latestObservations(hostnames);
  const observations = [...latest.values()]
    .map((o) => ({
      hostname: o.hostname,
      runId: o.runId,
      outcome: o.outcome,
      active: o.active.map((ip) => ip.ip).sort(),
      consecutiveFailures: o.consecutiveFailures,
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
  const changeSets = await createDynamoEventStore(tables).listChangeSets({});
  const events = changeSets
    .flatMap((changeSet) => changeSet.events.map((e) => ({ eventId: e.eventId, type: e.type })))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
  const listed = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "allowlists/" }),
  );
  const allowlists: Record<string, string> = {};
  for (const { Key } of listed.Contents ?? []) {
    if (Key === undefined) continue;
    const object = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.bucketName, Key }),
    );
    allowlists[Key] = timeless((await object.Body?.transformToString()) ?? "");
  }
  const archived = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "history/" }),
  );
  const archives = (archived.Contents ?? []).map(({ Key }) => Key ?? "").sort();
  return { observations, events, allowlists, archives };
}

describe("the sharded run through its state machine, on the embedded stack", () => {
  let single: EmbeddedStack;
  let sharded: EmbeddedStack;
  let dns: ZoneDnsServer;
  let hostnames: string[];

  beforeAll(async () => {
    [single, sharded, dns] = await Promise.all([
      startTestStack(),
      startTestStack(),
      startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" }),
    ]);
    const catalogue = await loadCatalogueFile();
    hostnames = resolvableHostnames(catalogue);
    for (const stack of [single, sharded]) {
      await new DynamoDbCatalogueStore({
        documents: stack.clients.documents,
        tableName: stack.tableName,
      }).importCatalogue(catalogue, new Date("2026-08-01T00:00:00Z"));
    }
    // Each function module builds its handler from process.env when it is first imported.
    for (const [name, value] of Object.entries(handlerEnv(sharded, dns))) vi.stubEnv(name, value);
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns?.stop();
    await single?.stop();
    await sharded?.stop();
  });

  it("leaves the same state, events and allowlists as the single-function run, run after run", async () => {
    // Act: a baseline run, then a run on the changed zone, by both paths.
    const outputs: unknown[] = [];
    for (const [index, time] of SCHEDULES.slice(0, 2).entries()) {
      if (index === 1) dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
      await singleRun(single, handlerEnv(single, dns), time);
      const { execution, calls } = await shardedRun(sharded, handlerEnv(sharded, dns), time);
      outputs.push((await execution).output);
      expect(calls.sort()).toEqual(["complete", "shard 0", "shard 1", "shard 2"]);
    }

    // Assess
    const [expected, actual] = [
      await stateOf(single, hostnames),
      await stateOf(sharded, hostnames),
    ];
    expect(actual.observations).toHaveLength(hostnames.length);
    expect(actual.observations.every((o) => o.runId === runIdOf(SCHEDULES[1]))).toBe(true);
    expect(actual.observations).toEqual(expected.observations);
    expect(actual.events.length).toBeGreaterThan(0);
    expect(actual.events).toEqual(expected.events);
    expect(Object.keys(actual.allowlists).length).toBeGreaterThan(0);
    expect(actual.allowlists).toEqual(expected.allowlists);
    // Each run's history archive, under the same key as the single function writes it.
    expect(actual.archives).toHaveLength(2);
    expect(actual.archives).toEqual(expected.archives);
    expect(outputs[1]).toMatchObject({
      historyArchive: actual.archives.find((key) =>
        key.endsWith(`/${runIdOf(SCHEDULES[1])}.jsonl.gz`),
      ),
      runId: runIdOf(SCHEDULES[1]),
      shards: 3,
      hostnames: hostnames.length,
    });
    expect(Number((outputs[1] as { committed: number }).committed)).toBeGreaterThan(0);
  }, 120_000);

  it("fails the run when a shard fails every attempt, keeping the last good state, removing nothing", async () => {
    // Prepare: the state the two runs above left; the zone loses addresses (empty answers).
    const before = await stateOf(sharded, hostnames);
    dns.reload("");

    // Act
    const { execution, calls } = await shardedRun(
      sharded,
      handlerEnv(sharded, dns),
      SCHEDULES[2] ?? "",
      {
        failingShard: 1,
      },
    );

    // Assess: shard 1 tried 1 + its retries, never completed; nothing committed or rewritten.
    await expect(execution).rejects.toThrow(ExecutionFailedError);
    expect(calls.filter((call) => call === "shard 1").length).toBeGreaterThan(1);
    expect(calls).not.toContain("complete");
    const after = await stateOf(sharded, hostnames);
    expect(after.events).toEqual(before.events);
    expect(after.allowlists).toEqual(before.allowlists);
    expect(after.events.filter((e) => e.type === "ip-removed")).toEqual([]);
  }, 120_000);

  it("judges what the failed run saved in the next run's plan step, still removing nothing", async () => {
    // Prepare: the zone is back.
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const before = await stateOf(sharded, hostnames);

    // Act
    const { execution } = await shardedRun(sharded, handlerEnv(sharded, dns), SCHEDULES[3] ?? "");
    const { output, events } = await execution;

    // Assess
    const planned = events.find((e) => e.type === "TaskSucceeded" && e.state === "PlanRun");
    expect(planned).toMatchObject({ output: { backlog: [{ runId: runIdOf(SCHEDULES[2]) }] } });
    expect(output).toMatchObject({ runId: runIdOf(SCHEDULES[3]), hostnames: hostnames.length });
    const after = await stateOf(sharded, hostnames);
    expect(after.observations.every((o) => o.runId === runIdOf(SCHEDULES[3]))).toBe(true);
    expect(after.events.filter((e) => e.type === "ip-removed")).toEqual([]);
    expect(after.allowlists).toEqual(before.allowlists);
  }, 120_000);
});
