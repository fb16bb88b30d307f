/**
 * The embedded store's memory under the observation reads of a run: `--hosts` Queries (one per
 * hostname, 8 in flight, as `previousObservations` asks them) against the embedded dynalite on
 * LevelDB, optionally after putting one run record listing every hostname (`--run-item`, as
 * `beginRun` writes it), printing the RSS, V8 heap and time.
 *
 *   node --expose-gc --import tsx bench/scale/dynalite-query-memory.ts [--hosts 10000] [--run-item]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createLimiter } from "#shared/observe/dns/limiter";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "10000" },
    "run-item": { type: "boolean", default: false },
  },
});
const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-dynalite-memory-"));
const stack = await startEmbeddedStack({ stateDir });
const mb = (bytes: number) => Math.round(bytes / 1_048_576);
const show = (label: string) => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(
    `${label}: RSS ${mb(m.rss)} MB, V8 heap total ${mb(m.heapTotal)} MB, used ${mb(m.heapUsed)} MB`,
  );
};
const hostnames = Array.from(
  { length: Number(values.hosts) },
  (_, i) => `host-${i}.vendor${i % 40}.com`,
);
try {
  if (values["run-item"]) {
    await stack.clients.documents.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: "RUN#bench", sk: "RUN", hostnames, gsi1pk: "UNJUDGED_RUN", gsi1sk: "bench" },
      }),
    );
  }
  show("before the queries");
  const limit = createLimiter(8);
  const started = performance.now();
  await Promise.all(
    hostnames.map((hostname) =>
      limit(() =>
        stack.clients.documents.send(
          new QueryCommand({
            TableName: stack.tableName,
            KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues: {
              ":pk": `HOST#${hostname}`,
              ":low": "RUN#",
              ":high": "RUN#~",
            },
            ScanIndexForward: false,
            Limit: 2,
            ConsistentRead: true,
          }),
        ),
      ),
    ),
  );
  const ms = performance.now() - started;
  console.log(
    `${hostnames.length} queries in ${(ms / 1000).toFixed(1)} s (${(ms / hostnames.length).toFixed(2)} ms each)`,
  );
  show("after the queries");
  console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
} finally {
  await stack.stop();
  await rm(stateDir, { recursive: true, force: true });
}
