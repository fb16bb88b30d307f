import type { AwsClients } from "#shared/adapters/aws/clients";
import type { CycleStage } from "#shared/detect/detection-cycle";
import type { DnsResolver } from "#shared/observe/dns/resolver";

/**
 * `DRIFTWATCH_PROFILE=1 driftwatch detect …`: where a run's time goes, for benchmarks. Off by
 * default (every hook is then a no-op and nothing is printed). On, the command prints one line
 * on stderr as it ends, `driftwatch profile: {json}`, with:
 * - `phases`: milliseconds since the process started at each step (the command starting, the
 *   catalogue loaded, the store open, the cycle's stages, the first DNS lookup asked, the last
 *   one answered, the cycle done, the report printed, the store closed);
 * - `dns`: lookups asked (one lookup is A + AAAA, and the CNAME walk on a name's first sample);
 * - `aws`: the commands each AWS client sent (after the store opened), by operation, with the
 *   items of batch and transaction writes; `writes` sums the DynamoDB items written, the S3
 *   objects written and the SNS messages published; `byPhase`, the calls made after each phase
 *   mark and before the next (`service.Operation`: calls);
 * - `memory`: at each phase, the resident set and the V8 heap in use (MB); under
 *   `node --expose-gc` a full collection runs first, so the heap is what is still reachable;
 * - `maxRssMb`: the process's peak resident set (getrusage).
 */
export interface DetectProfile {
  mark(phase: string): void;
  stage(stage: CycleStage): void;
  /** The resolver, timing its first lookup and its last answer. */
  resolver(resolver: DnsResolver): DnsResolver;
  /** Counts every command the clients send from now on. */
  countAwsCalls(clients: AwsClients): void;
  /** The profile line, or "" when profiling is off. */
  report(): string;
}

export const PROFILE_VARIABLE = "DRIFTWATCH_PROFILE";
export const PROFILE_PREFIX = "driftwatch profile: ";

const NO_PROFILE: DetectProfile = {
  mark() {},
  stage() {},
  resolver: (resolver) => resolver,
  countAwsCalls() {},
  report: () => "",
};

type AwsService = "dynamodb" | "s3" | "sns" | "sqs";

/** Operations that write, and how many items (or objects, or messages) one call writes. */
const WRITES: Record<string, (input: Record<string, unknown>) => number> = {
  PutItemCommand: () => 1,
  UpdateItemCommand: () => 1,
  DeleteItemCommand: () => 1,
  BatchWriteItemCommand: (input) => itemsOf(input.RequestItems),
  TransactWriteItemsCommand: (input) => (input.TransactItems as unknown[] | undefined)?.length ?? 0,
  PutObjectCommand: () => 1,
  CopyObjectCommand: () => 1,
  DeleteObjectCommand: () => 1,
  DeleteObjectsCommand: (input) =>
    ((input.Delete as { Objects?: unknown[] } | undefined)?.Objects ?? []).length,
  PublishCommand: () => 1,
  PublishBatchCommand: (input) =>
    (input.PublishBatchRequestEntries as unknown[] | undefined)?.length ?? 0,
};

/** The write requests of a BatchWriteItem, over every table. */
function itemsOf(requestItems: unknown): number {
  if (requestItems === null || typeof requestItems !== "object") return 0;
  return Object.values(requestItems as Record<string, unknown>).reduce<number>(
    (sum, requests) => sum + (Array.isArray(requests) ? requests.length : 0),
    0,
  );
}

/**
 * Counts AWS commands: `middleware(service)` is an initialize-step middleware (once per command
 * sent; retries are not counted again), each call also counted under the phase `phase()` names.
 */
function awsCallCounter(phase: () => string) {
  const operations: Record<AwsService, Record<string, { calls: number; items: number }>> = {
    dynamodb: {},
    s3: {},
    sns: {},
    sqs: {},
  };
  /** The calls made since each phase was marked, by `service.Operation`. */
  const byPhase: Record<string, Record<string, number>> = {};
  let writes = 0;
  const middleware =
    (service: AwsService) =>
    <Input extends object, Output extends object>(
      next: (args: { input: Input }) => Promise<Output>,
      context: { commandName?: string },
    ) =>
    async (args: { input: Input }): Promise<Output> => {
      const operation = context.commandName ?? "unknown";
      const items = WRITES[operation]?.(args.input as Record<string, unknown>) ?? 0;
      const counted = operations[service][operation] ?? { calls: 0, items: 0 };
      operations[service][operation] = counted;
      counted.calls++;
      counted.items += items;
      writes += items;
      const bucket = byPhase[phase()] ?? {};
      byPhase[phase()] = bucket;
      const key = `${service}.${operation.replace(/Command$/, "")}`;
      bucket[key] = (bucket[key] ?? 0) + 1;
      return next(args);
    };
  const calls = (service: AwsService) =>
    Object.values(operations[service]).reduce((sum, counted) => sum + counted.calls, 0);
  return {
    install(clients: AwsClients) {
      const options = {
        step: "initialize",
        name: "driftwatchProfileCounter",
        override: true,
      } as const;
      clients.dynamodb.middlewareStack.add(middleware("dynamodb"), options);
      clients.s3.middlewareStack.add(middleware("s3"), options);
      clients.sns.middlewareStack.add(middleware("sns"), options);
      clients.sqs.middlewareStack.add(middleware("sqs"), options);
    },
    summary: () => ({
      calls: { dynamodb: calls("dynamodb"), s3: calls("s3"), sns: calls("sns"), sqs: calls("sqs") },
      writes,
      operations,
      byPhase,
    }),
  };
}

/** The profile `env` asks for: on when `DRIFTWATCH_PROFILE` is `1`. */
export function detectProfile(
  env: NodeJS.ProcessEnv,
  clock: () => number = () => performance.now(),
  maxRssKb: () => number = () => process.resourceUsage().maxRSS,
  usage: () => NodeJS.MemoryUsage = () => process.memoryUsage(),
): DetectProfile {
  if (env[PROFILE_VARIABLE] !== "1") return NO_PROFILE;
  const phases: Record<string, number> = {};
  const memory: Record<string, { rssMb: number; heapUsedMb: number; externalMb: number }> = {};
  const mb = (bytes: number) => Math.round(bytes / 1_048_576);
  let current = "command started";
  const at = (phase: string) => {
    if (phases[phase] !== undefined) return;
    phases[phase] = Math.round(clock());
    current = phase;
    (globalThis as { gc?: () => void }).gc?.();
    const now = usage();
    memory[phase] = {
      rssMb: mb(now.rss),
      heapUsedMb: mb(now.heapUsed),
      externalMb: mb(now.external),
    };
  };
  const dns = { lookups: 0 };
  const aws = awsCallCounter(() => current);
  at("command started");
  return {
    mark: at,
    stage(stage) {
      if (stage.stage === "feeds" && stage.done === 0) at("backlog judged");
      if (stage.stage === "resolve" && stage.done === stage.total) at("all hostnames resolved");
      if (stage.stage === "compare") at("compare started");
    },
    resolver(resolver) {
      return {
        servers: resolver.servers,
        async lookup(request) {
          at("first dns lookup");
          dns.lookups++;
          try {
            return await resolver.lookup(request);
          } finally {
            phases["last dns answer"] = Math.round(clock());
          }
        },
        close: () => resolver.close(),
      };
    },
    countAwsCalls: (clients) => aws.install(clients),
    report() {
      const summary = {
        phases,
        memory,
        dns: { lookups: dns.lookups },
        aws: aws.summary(),
        maxRssMb: Math.round(maxRssKb() / 1024),
      };
      return `${PROFILE_PREFIX}${JSON.stringify(summary)}\n`;
    },
  };
}
