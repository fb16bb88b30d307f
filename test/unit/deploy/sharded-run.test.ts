import { describe, expect, it } from "vitest";
import { InvalidEventError } from "#functions/commons/events";
import { MAX_SHARDS } from "#functions/commons/sharded-run-events";
import { ShardedRunConfigError } from "#functions/commons/sharded-run-runtime";
import { generateEstate } from "#shared/catalogue/generate/generate-estate";
import { IncompleteShardedRunError } from "#shared/detect/sharded-run/complete-run";
import { ShardPlanMismatchError, shardRefsOf } from "#shared/detect/sharded-run/engine-steps";
import { manifestOf, planShards } from "#shared/detect/sharded-run/plan-shards";
import type { ShardReport } from "#shared/detect/sharded-run/resolve-shard";
import { at } from "#test/helpers/cfn-template";
import {
  LOCAL_ARNS,
  serverlessYml,
  shardedRunDefinition,
  shardedRunDefinitionSource,
} from "#test/helpers/sharded-run-definition";
import {
  type AslEvent,
  ExecutionFailedError,
  runStateMachine,
  type TaskInvoker,
} from "#test/helpers/state-machine";

/**
 * The sharded run's state machine (serverless.yml, ShardedRunStateMachine): its definition read
 * from serverless.yml and run by a small ASL interpreter over stub tasks. The flows against the
 * real use cases and the embedded stack are in test/integration/functions/sharded-run.test.ts.
 */

const machine = shardedRunDefinition();
const params = at(serverlessYml(), "params", "default") as Record<string, unknown>;

const MANIFEST = {
  runId: "2026-08-22T10:15Z",
  observedAt: "2026-08-22T10:15:03.000Z",
  shardCount: 3,
  hostnameCount: 9,
  hostnamesDigest: "a".repeat(64),
};
const SHARDS = [
  { shard: 0, start: 0, end: 3 },
  { shard: 1, start: 3, end: 6 },
  { shard: 2, start: 6, end: 9 },
];
const SCHEDULED = {
  source: "aws.events",
  "detail-type": "Scheduled Event",
  time: "2026-08-22T10:15:00Z",
};

function report(shard: number): ShardReport {
  return {
    runId: MANIFEST.runId,
    shard,
    shardCount: 3,
    hostnames: 3,
    hostnamesDigest: "b".repeat(64),
    answered: 3,
    failing: 0,
    entered: 0,
    left: 0,
    duplicate: false,
    durationMs: 5,
  };
}

/** Stub tasks: plan returns three shards, each shard fails as `failures` says, complete echoes. */
function stubTasks(
  failures: (shard: number, attempt: number) => Error | undefined = () => undefined,
) {
  const attempts = new Map<number, number>();
  const completed: unknown[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const invoke: TaskInvoker = async (resource, input) => {
    if (resource === LOCAL_ARNS.PlanRunArn)
      return { manifest: MANIFEST, shards: SHARDS, backlog: [] };
    if (resource === LOCAL_ARNS.ResolveShardArn) {
      const { shard } = (input as { shard: { shard: number } }).shard;
      const attempt = (attempts.get(shard) ?? 0) + 1;
      attempts.set(shard, attempt);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const failure = failures(shard, attempt);
      if (failure) throw failure;
      return report(shard);
    }
    if (resource === LOCAL_ARNS.CompleteRunArn) {
      completed.push(input);
      return { runId: MANIFEST.runId, committed: 0 };
    }
    throw new Error(`no task ${resource}`);
  };
  return { invoke, attempts, completed, maxInFlight: () => maxInFlight };
}

function named(name: string, message = "injected"): Error {
  return Object.assign(new Error(message), { name });
}

const retriesOf = (events: AslEvent[]) => events.filter((e) => e.type === "RetryScheduled");

describe("the sharded run's state machine definition", () => {
  it("plans, maps an inline, bounded map over the shards, then completes once; nothing is caught", () => {
    expect(machine.StartAt).toBe("PlanRun");
    expect(machine.States.PlanRun).toMatchObject({
      Type: "Task",
      Resource: LOCAL_ARNS.PlanRunArn,
      Next: "ResolveShards",
    });
    const map = machine.States.ResolveShards;
    expect(map).toMatchObject({
      Type: "Map",
      ItemsPath: "$.shards",
      ItemSelector: { "manifest.$": "$.manifest", "shard.$": "$$.Map.Item.Value" },
      MaxConcurrency: params.shardConcurrency,
      ResultPath: "$.reports",
      Next: "CompleteRun",
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "ResolveShard" },
    });
    expect(map?.ItemProcessor?.States.ResolveShard).toMatchObject({
      Resource: LOCAL_ARNS.ResolveShardArn,
      End: true,
    });
    expect(machine.States.CompleteRun).toMatchObject({
      Resource: LOCAL_ARNS.CompleteRunArn,
      Parameters: { "manifest.$": "$.manifest", "reports.$": "$.reports" },
      End: true,
    });
    expect(shardedRunDefinitionSource().text).not.toContain('"Catch"');
    expect(Object.keys(shardedRunDefinitionSource().variables).sort()).toEqual(
      Object.keys(LOCAL_ARNS).sort(),
    );
  });

  it("retries a shard with backoff on any error, except the errors no retry can fix (named as the code names them)", () => {
    const retry = machine.States.ResolveShards?.ItemProcessor?.States.ResolveShard?.Retry ?? [];
    const last = retry.at(-1);
    expect(last?.ErrorEquals).toEqual(["States.ALL"]);
    expect(last?.MaxAttempts).toBeGreaterThanOrEqual(2);
    expect(last?.BackoffRate).toBeGreaterThan(1);
    const final = Object.values(machine.States).flatMap((state) => [
      ...(state.Retry ?? []),
      ...Object.values(state.ItemProcessor?.States ?? {}).flatMap((inner) => inner.Retry ?? []),
    ]);
    const neverRetried = new Set(
      final.filter((r) => r.MaxAttempts === 0).flatMap((r) => r.ErrorEquals),
    );
    expect([...neverRetried].sort()).toEqual(
      [
        new InvalidEventError("state-machine", "(root)", "x").name,
        new ShardPlanMismatchError("r", 0, "x").name,
        new IncompleteShardedRunError("r", "x").name,
        new ShardedRunConfigError("X", "x").name,
      ].sort(),
    );
  });

  it("keeps the state of a 10,000-hostname run at the most shards far under the 256 KB limit", () => {
    // Prepare: the plan and every report, as they sit in the state before the completion.
    const { catalogue } = generateEstate({ hosts: 10_000, seed: 1 });
    const plan = planShards(catalogue, MANIFEST, { shards: MAX_SHARDS });
    const reports = plan.shards.map((task) => ({
      ...report(task.shard),
      hostnamesDigest: "c".repeat(64),
    }));

    // Act
    const state = JSON.stringify({
      manifest: manifestOf(plan),
      shards: shardRefsOf(plan),
      backlog: [],
      reports,
    });

    // Assess
    expect(plan.shardCount).toBe(MAX_SHARDS);
    expect(Buffer.byteLength(state)).toBeLessThan(200 * 1024);
  });
});

describe("the sharded run's state machine, run over stub tasks", () => {
  it("resolves every shard, then completes once with every report in shard order", async () => {
    const tasks = stubTasks();

    const { output, events } = await runStateMachine(machine, SCHEDULED, tasks.invoke);

    expect(tasks.completed).toEqual([
      { manifest: MANIFEST, reports: [report(0), report(1), report(2)] },
    ]);
    expect(output).toEqual({ runId: MANIFEST.runId, committed: 0 });
    expect(retriesOf(events)).toEqual([]);
    expect(tasks.maxInFlight()).toBeLessThanOrEqual(Number(params.shardConcurrency));
  });

  it("retries a failing shard with growing delays, then completes with all three reports", async () => {
    const tasks = stubTasks((shard, attempt) =>
      shard === 1 && attempt <= 2 ? named("ShardIncompleteError") : undefined,
    );

    const { events } = await runStateMachine(machine, SCHEDULED, tasks.invoke);

    expect(tasks.attempts.get(1)).toBe(3);
    const delays = retriesOf(events).map((e) => (e.type === "RetryScheduled" ? e.delaySeconds : 0));
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] ?? 0);
    expect(tasks.completed).toHaveLength(1);
    expect(at(tasks.completed[0], "reports")).toHaveLength(3);
  });

  it("fails the execution when a shard fails every attempt: the run is never completed", async () => {
    const tasks = stubTasks((shard) =>
      shard === 2 ? named("TimeoutError", "DNS down") : undefined,
    );

    const run = runStateMachine(machine, SCHEDULED, tasks.invoke);

    await expect(run).rejects.toThrow(ExecutionFailedError);
    await expect(run).rejects.toMatchObject({ state: "ResolveShard", error: "TimeoutError" });
    const retry = machine.States.ResolveShards?.ItemProcessor?.States.ResolveShard?.Retry?.at(-1);
    expect(tasks.attempts.get(2)).toBe(1 + (retry?.MaxAttempts ?? 0));
    expect(tasks.completed).toEqual([]);
  });

  it("does not retry a shard whose plan no longer matches the catalogue", async () => {
    const tasks = stubTasks((shard) => (shard === 0 ? named("ShardPlanMismatchError") : undefined));

    await expect(runStateMachine(machine, SCHEDULED, tasks.invoke)).rejects.toMatchObject({
      error: "ShardPlanMismatchError",
    });
    expect(tasks.attempts.get(0)).toBe(1);
    expect(tasks.completed).toEqual([]);
  });
});
