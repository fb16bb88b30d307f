import { z } from "zod";

/**
 * The inputs the state machine passes the resolve-shard and complete-run functions (its map's
 * item selector and the completion task's parameters, serverless.yml), checked at the boundary.
 */

/**
 * The most shards a run may have: every shard's report (~250 bytes) stays in the execution's
 * state until the completion step, which Step Functions caps at 256 KB.
 */
export const MAX_SHARDS = 500;

const count = z.int().min(0);

/** The run's manifest, as the plan step returned it. */
export const RunManifestInput = z.strictObject({
  runId: z.string().min(1).max(200),
  observedAt: z.iso.datetime({ error: "expected an ISO 8601 instant, e.g. 2026-08-22T10:15:00Z" }),
  shardCount: z.int().min(1).max(MAX_SHARDS),
  hostnameCount: count,
  hostnamesDigest: z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 hex digest"),
});

/** A shard as index and range of the run's sorted hostnames. */
export const ShardRefInput = z
  .strictObject({ shard: count, start: count, end: count })
  .refine((ref) => ref.start <= ref.end, { message: "start must not be after end", path: ["end"] });

/** One item of the map: the run and the shard to resolve. */
export const ResolveShardEvent = z.strictObject({
  manifest: RunManifestInput,
  shard: ShardRefInput,
});
export type ResolveShardEvent = z.input<typeof ResolveShardEvent>;

/** What resolve-shard returned for one shard (shared/detect/sharded-run/resolve-shard.ts). */
export const ShardReportInput = z.strictObject({
  runId: z.string().min(1),
  shard: count,
  shardCount: z.int().min(1),
  hostnames: count,
  hostnamesDigest: z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 hex digest"),
  answered: count,
  failing: count,
  entered: count,
  left: count,
  duplicate: z.boolean(),
  durationMs: z.number().min(0),
});

/** The completion task's input: the manifest and every shard's report (the map's results). */
export const CompleteRunEvent = z.strictObject({
  manifest: RunManifestInput,
  reports: z.array(ShardReportInput).max(MAX_SHARDS),
});
export type CompleteRunEvent = z.input<typeof CompleteRunEvent>;
