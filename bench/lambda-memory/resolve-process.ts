/**
 * The resolve-hostnames function alone in its process, as Lambda runs it: bundled by
 * bench/lambda-memory.bench.ts with the deployment's esbuild options, its handler built at module
 * load from the environment (cold start), its DynamoDB and S3 clients pointed at the fakes'
 * process. Invokes the handler once per time of BENCH_RUN_TIMES (comma list, ISO 8601: one
 * scheduled event each, in this one process, as warm invocations of one Lambda instance), and
 * prints one JSON line per invocation: the response's counts, its wall time, and the memory at
 * its end and at its peak (RSS and V8 heap sampled every 50 ms; getrusage's maxRSS).
 */
import { join } from "node:path";
import { resourceUsage } from "node:process";
import { writeHeapSnapshot } from "node:v8";
import type { Context } from "aws-lambda";
import { createResolveHostnamesHandler } from "#functions/resolve-hostnames";
import { createDynamoDbClients } from "#shared/adapters/aws/dynamodb";
import { createS3Client } from "#shared/adapters/aws/s3";

const MB = 1024 * 1024;
const endpoints = JSON.parse(process.env.BENCH_ENDPOINTS ?? "{}") as {
  dynamodbEndpoint: string;
  messagingEndpoint: string;
};
const times = (process.env.BENCH_RUN_TIMES ?? "").split(",").filter((t) => t !== "");
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? "120000");
const target = {
  region: "us-east-1",
  ...endpoints,
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
};
const handler = createResolveHostnamesHandler(process.env, {
  clients: { ...createDynamoDbClients(target), s3: createS3Client(target) },
});

let peak = { rssMb: 0, heapUsedMb: 0, heapTotalMb: 0, externalMb: 0 };
function sample(): void {
  const m = process.memoryUsage();
  peak = {
    rssMb: Math.max(peak.rssMb, m.rss / MB),
    heapUsedMb: Math.max(peak.heapUsedMb, m.heapUsed / MB),
    heapTotalMb: Math.max(peak.heapTotalMb, m.heapTotal / MB),
    externalMb: Math.max(peak.externalMb, m.external / MB),
  };
}

function context(): Context {
  const started = Date.now();
  const fail = () => {};
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "driftwatch-bench-resolveHostnames",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
    memoryLimitInMB: "256",
    awsRequestId: `bench-${started}`,
    logGroupName: "/aws/lambda/bench",
    logStreamName: "bench",
    getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
    done: fail,
    fail,
    succeed: fail,
  };
}

const round = (n: number) => Math.round(n);
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;

/**
 * With `--expose-gc` (the bench's --retained): the heap a full GC leaves after the invocation,
 * what the warm instance keeps for the next one; and a heap snapshot of it in
 * BENCH_HEAP_SNAPSHOT_DIR when set (compare them by constructor in Chrome DevTools).
 */
function retained(time: string): { retainedHeapMb?: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return {};
  gc();
  const heapMb = round(process.memoryUsage().heapUsed / MB);
  if (snapshotDir !== undefined)
    writeHeapSnapshot(join(snapshotDir, `${time.replaceAll(":", "-")}.heapsnapshot`));
  return { retainedHeapMb: heapMb };
}
console.log(JSON.stringify({ loaded: true, rssMb: round(process.memoryUsage().rss / MB) }));
for (const time of times) {
  peak = { rssMb: 0, heapUsedMb: 0, heapTotalMb: 0, externalMb: 0 };
  const poll = setInterval(sample, 50);
  const started = performance.now();
  const response = await handler(
    {
      version: "0",
      id: `bench-${time}`,
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time,
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:123456789012:rule/bench"],
      detail: {},
    },
    context(),
  );
  const ms = performance.now() - started;
  clearInterval(poll);
  sample();
  const end = process.memoryUsage();
  console.log(
    JSON.stringify({
      time,
      ms: round(ms),
      response: Object.fromEntries(
        Object.entries(response).filter(([, v]) => typeof v === "number" || typeof v === "boolean"),
      ),
      peakRssMb: round(peak.rssMb),
      peakHeapUsedMb: round(peak.heapUsedMb),
      peakHeapTotalMb: round(peak.heapTotalMb),
      peakExternalMb: round(peak.externalMb),
      endRssMb: round(end.rss / MB),
      endHeapUsedMb: round(end.heapUsed / MB),
      maxRssMb: round(resourceUsage().maxRSS / 1024),
      ...retained(time),
    }),
  );
}
process.exit(0);
