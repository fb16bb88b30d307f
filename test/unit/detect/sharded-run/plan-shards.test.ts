import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import {
  beginShardedRun,
  hostnamesDigest,
  manifestOf,
  planShards,
  runTargets,
  ShardingOptionsError,
} from "#shared/detect/sharded-run/plan-shards";
import type { DnsRun } from "#shared/observe/dns/observation-store";

const RUN = { runId: "run-1", observedAt: "2026-08-22T10:15:00.000Z" };

describe("planShards", () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await loadCatalogueFile();
  });

  it("splits the resolvable hostnames into disjoint sorted ranges that cover them all", () => {
    // Act
    const plan = planShards(catalogue, RUN, { shards: 5 });

    // Assess
    const all = runTargets(catalogue).map((target) => target.hostname);
    const sharded = plan.shards.flatMap((shard) => shard.targets.map((t) => t.hostname));
    expect(sharded).toEqual(all);
    expect(new Set(sharded).size).toBe(all.length);
    expect(plan.shards.map((shard) => shard.shard)).toEqual([0, 1, 2, 3, 4]);
    const sizes = plan.shards.map((shard) => shard.targets.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(plan).toMatchObject({ ...RUN, shardCount: 5, hostnameCount: all.length });
    expect(plan.hostnamesDigest).toBe(hostnamesDigest(all));
    for (const shard of plan.shards) expect(shard).toMatchObject({ ...RUN, shardCount: 5 });
  });

  it("gives the same shards for the same catalogue, whatever the endpoint order", () => {
    // Prepare
    const reversed: Catalogue = { ...catalogue, endpoints: [...catalogue.endpoints].reverse() };

    // Act
    const first = planShards(catalogue, RUN, { shards: 4 });
    const again = planShards(reversed, RUN, { shards: 4 });

    // Assess
    expect(again.shards.map((s) => s.targets.map((t) => t.hostname))).toEqual(
      first.shards.map((s) => s.targets.map((t) => t.hostname)),
    );
    expect(again.hostnamesDigest).toBe(first.hostnamesDigest);
  });

  it("plans as many shards as the size limit needs, and never more than the hostnames", () => {
    const total = runTargets(catalogue).length;
    const bySize = planShards(catalogue, RUN, { shards: 1, maxShardSize: 10 });
    expect(bySize.shardCount).toBe(Math.ceil(total / 10));
    expect(Math.max(...bySize.shards.map((s) => s.targets.length))).toBeLessThanOrEqual(10);
    expect(planShards(catalogue, RUN, { shards: total + 50 }).shardCount).toBe(total);
    expect(planShards(catalogue, RUN).shardCount).toBe(1);
  });

  it("keeps every policy of a hostname named by several endpoints", () => {
    const plan = planShards(catalogue, RUN, { shards: 3 });
    const byHostname = new Map(
      plan.shards.flatMap((s) => s.targets).map((t) => [t.hostname, t.policies]),
    );
    for (const endpoint of catalogue.endpoints) {
      if (endpoint.hostname === null) continue;
      const policies = byHostname.get(endpoint.hostname.toLowerCase());
      if (policies !== undefined) expect(policies).toContain(endpoint.policy);
    }
  });

  it("plans no shard for a catalogue without resolvable hostnames", () => {
    const plan = planShards({ ...catalogue, endpoints: [], pools: [] }, RUN, { shards: 4 });
    expect(plan).toMatchObject({ shardCount: 0, hostnameCount: 0, shards: [] });
  });

  it("rejects a shard count or size that is not a positive integer, naming it", () => {
    expect(() => planShards(catalogue, RUN, { shards: 0 })).toThrow(ShardingOptionsError);
    expect(() => planShards(catalogue, RUN, { shards: 2.5 })).toThrow(/shards .* got 2.5/);
    expect(() => planShards(catalogue, RUN, { maxShardSize: -1 })).toThrow(/maxShardSize .* -1/);
  });

  it("carries the manifest without the shards", () => {
    const plan = planShards(catalogue, RUN, { shards: 2 });
    expect(manifestOf(plan)).toEqual({
      ...RUN,
      shardCount: 2,
      hostnameCount: plan.hostnameCount,
      hostnamesDigest: plan.hostnamesDigest,
    });
  });
});

describe("beginShardedRun", () => {
  it("begins the run with every hostname and plans at the first start's observation time", async () => {
    // Prepare: the run was begun by an earlier start, 40 s earlier.
    const catalogue = await loadCatalogueFile();
    const begun: DnsRun[] = [];
    const store = {
      async beginRun(run: DnsRun) {
        begun.push(run);
        return { created: false, run: { ...run, observedAt: RUN.observedAt } };
      },
    };

    // Act
    const plan = await beginShardedRun(store, {
      catalogue,
      runId: RUN.runId,
      now: new Date("2026-08-22T10:15:40.000Z"),
      sharding: { shards: 3 },
    });

    // Assess
    expect(begun).toEqual([
      {
        runId: RUN.runId,
        observedAt: "2026-08-22T10:15:40.000Z",
        hostnames: runTargets(catalogue).map((t) => t.hostname),
      },
    ]);
    expect(plan.observedAt).toBe(RUN.observedAt);
    expect(plan.shards.every((shard) => shard.observedAt === RUN.observedAt)).toBe(true);
  });
});
