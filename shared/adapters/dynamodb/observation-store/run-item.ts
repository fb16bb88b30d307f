import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import type { DnsRun } from "#shared/observe/dns/observation-store";
import { SCHEMA_VERSION } from "./observation-item";
import { runKey, UNJUDGED_RUN } from "./observation-keys";
import { ObservationStoreError } from "./observation-store-error";

/** The run record (`RUN#<runId>` / `RUN`) and back: pure mapping, no I/O. */

/**
 * A run whose hostname list is longer than this (as JSON) keeps it gzipped in one binary
 * attribute, `hostnamesGz`; below it, `hostnames` is a plain list as in records written before.
 * Plain, the list reached DynamoDB's 400 KB item limit at ~15,000 names of 24 characters;
 * gzipped, vendor-shaped names take ~4 bytes each (20,000 names: 1.2 MB plain, 73 KB gzipped;
 * test/integration/adapters/dynamodb/observation-store-run-size.test.ts). The gzipped record is
 * also what the embedded store's LevelDB buffers when a query lands next to it.
 */
const INLINE_HOSTNAMES_LIMIT = 16_000;
/** DynamoDB's item limit is 400 KB (409,600 bytes, names included); we stop a little below. */
export const MAX_RUN_ITEM_BYTES = 400_000;

const RunItem = z.object({
  runId: z.string(),
  observedAt: z.string(),
  hostnames: z.array(z.string()).optional(),
  hostnamesGz: z.instanceof(Uint8Array).optional(),
});
const HostnameList = z.array(z.string());

/** A run whose hostname list does not fit in one DynamoDB item even gzipped. */
export class RunTooLargeError extends ObservationStoreError {
  override name = "RunTooLargeError";
  constructor(
    readonly runId: string,
    readonly hostnames: number,
    /** The size of the gzipped list, in bytes. */
    readonly bytes: number,
  ) {
    super(
      `run ${runId} lists ${hostnames} hostnames, ${bytes} bytes even gzipped, over the ${MAX_RUN_ITEM_BYTES} bytes a DynamoDB item may hold; it is not begun (shard the catalogue, docs/sharding.md)`,
    );
  }
}

/** The hostname list as the record keeps it: plain when small, gzipped when large. */
function hostnameAttributes(run: DnsRun): { hostnames: string[] } | { hostnamesGz: Buffer } {
  const json = JSON.stringify(run.hostnames);
  if (json.length <= INLINE_HOSTNAMES_LIMIT) return { hostnames: run.hostnames };
  const hostnamesGz = gzipSync(json);
  if (hostnamesGz.length > MAX_RUN_ITEM_BYTES - 1_000) {
    throw new RunTooLargeError(run.runId, run.hostnames.length, hostnamesGz.length);
  }
  return { hostnamesGz };
}

/** The run record of a run just begun, in the unjudged index; `expiresAt` is its TTL. */
export function runItem(run: DnsRun, expiresAt: number): Record<string, unknown> {
  return {
    ...runKey(run.runId),
    kind: "dns-run",
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    observedAt: run.observedAt,
    ...hostnameAttributes(run),
    expiresAt,
    // In the unjudged index until markRunJudged: oldest first by observation time.
    gsi1pk: UNJUDGED_RUN,
    gsi1sk: `${run.observedAt}#${run.runId}`,
  };
}

/** The run a stored run record holds; `name` says which record in the error. */
export function parseRun(item: unknown, name: string): DnsRun {
  const parsed = RunItem.safeParse(item);
  if (!parsed.success) {
    throw new ObservationStoreError(`stored run ${name} is malformed`, { cause: parsed.error });
  }
  const { runId, observedAt, hostnames, hostnamesGz } = parsed.data;
  if (hostnames !== undefined) return { runId, observedAt, hostnames };
  if (hostnamesGz === undefined) {
    throw new ObservationStoreError(`stored run ${name} lists no hostnames`);
  }
  try {
    const list = HostnameList.parse(JSON.parse(gunzipSync(hostnamesGz).toString("utf8")));
    return { runId, observedAt, hostnames: list };
  } catch (cause) {
    throw new ObservationStoreError(`stored run ${name} has an unreadable hostname list`, {
      cause,
    });
  }
}
