import { gunzipSync, gzipSync } from "node:zlib";
import type { HostObservation } from "#shared/domain/observation";
import { HostObservationSchema } from "#shared/observe/dns/observation-schema";
import { hostPk, runSk } from "./observation-keys";
import { ObservationStoreError } from "./observation-store-error";

/**
 * The history item of a hostname's observation in one run (`HOST#<hostname>` /
 * `RUN#<observedAt>#<runId>`) and back: pure mapping, no I/O.
 */

/** The `schemaVersion` of the run records and history items written now. */
export const SCHEMA_VERSION = 1;
/**
 * An observation whose item is larger than this (as JSON) keeps its lists (`LIST_ATTRIBUTES`)
 * gzipped in one binary attribute, `listsGz`; below it, the item is plain attributes as ever.
 * Inline, an active IP costs ~146 bytes, so a rotating name reached DynamoDB's 400 KB at ~2,400
 * active IPs and could no longer be saved at all. Gzipped, measured against dynalite with the
 * rotating hostname of test/integration/adapters/dynamodb/observation-store-size.test.ts (random IPv4 in five /8s,
 * random IPv6 in one /32, first/last seen over the last 24 h of runs, 1-3 of 3 resolvers, 256
 * departed): an active IP costs ~15 bytes (IPv4) or ~27 bytes (IPv6); 6,000 IPv4 + 2,000 IPv6
 * take ~145 KB; ~22,600 active IPs fit at 3 IPv4 to 1 IPv6 (~27,400 IPv4 only). Beyond that,
 * `ObservationTooLargeError`.
 */
const INLINE_OBSERVATION_LIMIT = 100_000;
/** DynamoDB's item limit is 400 KB (409,600 bytes, names included); we stop a little below. */
export const MAX_OBSERVATION_ITEM_BYTES = 400_000;
/** The attributes that grow with the IPs a hostname shows, gzipped together when large. */
const LIST_ATTRIBUTES = [
  "active",
  "entered",
  "left",
  "departed",
  "suspicious",
  "answers",
] as const satisfies readonly (keyof HostObservation)[];

/**
 * An observation that would not fit in one DynamoDB item (400 KB) even with its lists gzipped.
 * Thrown by `saveObservation` before anything of the observation is written.
 */
export class ObservationTooLargeError extends ObservationStoreError {
  override name = "ObservationTooLargeError";
  constructor(
    readonly hostname: string,
    readonly runId: string,
    /** The estimated size of the item, lists gzipped, in bytes. */
    readonly bytes: number,
  ) {
    super(
      `the observation of ${hostname} for run ${runId} is ${bytes} bytes even with its lists gzipped, over the ${MAX_OBSERVATION_ITEM_BYTES} bytes a DynamoDB item may hold; it is not saved (no IP is dropped)`,
    );
  }
}

/**
 * The history item of an observation: plain attributes, or its lists gzipped when large.
 * `expiresAt` is the item's TTL (epoch seconds).
 */
export function observationItem(
  observation: HostObservation,
  expiresAt: number,
): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...observation,
    pk: hostPk(observation.hostname),
    sk: runSk(observation),
    kind: "dns-observation",
    schemaVersion: SCHEMA_VERSION,
    expiresAt,
  };
  if (Buffer.byteLength(JSON.stringify(item)) <= INLINE_OBSERVATION_LIMIT) return item;
  const lists: Record<string, unknown> = {};
  for (const name of LIST_ATTRIBUTES) {
    lists[name] = item[name];
    delete item[name];
  }
  const listsGz = gzipSync(JSON.stringify(lists));
  // JSON overstates what DynamoDB counts for the other attributes: a safe estimate.
  const bytes = Buffer.byteLength(JSON.stringify(item)) + "listsGz".length + listsGz.length;
  if (bytes > MAX_OBSERVATION_ITEM_BYTES) {
    throw new ObservationTooLargeError(observation.hostname, observation.runId, bytes);
  }
  return { ...item, listsGz };
}

/** The observation a history item holds, its gzipped lists merged back, validated. */
export function parseObservation(item: Record<string, unknown>): HostObservation {
  const parsed = HostObservationSchema.safeParse({ ...item, ...gzippedLists(item) });
  if (!parsed.success) {
    throw new ObservationStoreError(
      `stored observation ${String(item.pk)} ${String(item.sk)} is malformed`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

function gzippedLists(item: Record<string, unknown>): object {
  if (item.listsGz === undefined) return {};
  try {
    if (!(item.listsGz instanceof Uint8Array)) throw new TypeError("listsGz is not binary");
    return JSON.parse(gunzipSync(item.listsGz).toString("utf8")) as object;
  } catch (error) {
    throw new ObservationStoreError(
      `stored observation ${String(item.pk)} ${String(item.sk)} has unreadable listsGz`,
      { cause: error },
    );
  }
}
