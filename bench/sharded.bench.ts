/**
 * The sharded DNS run against its shard count, simulated on this machine: a generated estate
 * served on loopback, the embedded stack, and the sharded run's use cases in one process
 * (resolveShardsInProcess, what `driftwatch detect --shards N` and each state of the state
 * machine run), every shard at once as the map would run them, each shard asking `--per-shard`
 * queries at a time as one resolve-shard Lambda does. A warm-up run lays down the state; each
 * shard count is then timed on steady state (a new run id each time).
 *
 *   npm run bench:sharded            # 1,000 hosts, shards 1,2,4,8
 *   npx tsx bench/sharded.bench.ts --hosts 3000 --shards 1,3,6
 */
import { parseArgs } from "node:util";
import { createDetectionStores } from "#shared/adapters/compose";
import { startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { generateEstate } from "#shared/catalogue/generate/generate-estate";
import { loopbackZoneText } from "#shared/catalogue/generate/zone-files";
import { resolveShardsInProcess } from "#shared/detect/sharded-run/resolve-shards-in-process";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    shards: { type: "string", default: "1,2,4,8" },
    "per-shard": { type: "string", default: "8" },
  },
});
const hosts = Number(values.hosts);
const shardCounts = `${values.shards}`.split(",").map(Number);
const perShard = Number(values["per-shard"]);

const estate = generateEstate({ hosts, seed: 1 });
const dns = await startZoneDnsServer({ zoneText: loopbackZoneText(estate) });
const stack = await startEmbeddedStack({});
const stores = createDetectionStores(stack.clients, stack);
const resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 1000, tries: 2 });

async function run(runId: string, shards: number) {
  const started = performance.now();
  const result = await resolveShardsInProcess(
    { resolver, store: stores.observations, observations: stores.observations },
    {
      catalogue: estate.catalogue,
      runId,
      now: new Date(),
      deadline: Date.now() + 120_000,
      shards,
      concurrency: shards,
      options: { samples: 1, concurrency: perShard },
    },
  );
  return { ms: performance.now() - started, hostnames: result.plan.hostnameCount };
}

try {
  await run("warm-up", 1);
  console.log(
    `${hosts} generated hosts, ${perShard} queries in flight per shard, all shards at once`,
  );
  console.log("shards  hostnames  wall s  hosts/s  vs 1 shard");
  let single = 0;
  for (const shards of shardCounts) {
    const { ms, hostnames } = await run(`bench-${shards}`, shards);
    if (single === 0) single = ms;
    console.log(
      `${String(shards).padStart(6)}  ${String(hostnames).padStart(9)}  ${(ms / 1000).toFixed(2).padStart(6)}  ${String(Math.round((hostnames * 1000) / ms)).padStart(7)}  ${(single / ms).toFixed(2)}x`,
    );
  }
} finally {
  resolver.close();
  await dns.stop();
  await stack.stop();
}
