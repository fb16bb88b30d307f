import { gunzipSync, gzipSync } from "node:zlib";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { RunLease, RunPosition } from "#shared/observe/dns/observation-store";
import { readAllPages } from "../read-all-pages";
import { SCHEMA_VERSION } from "./observation-item";
import { ObservationStoreError, storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/**
 * A run's confirmations (`RUN#<runId>` / `CONFIRMED#<scope>#<owner>#<n>`): the hostnames the run
 * saw exactly as their current revision says (`confirmsState`), each with the sort key of that
 * revision's history item and how many runs have confirmed it since it was written. They stand
 * for the history items the run did not write (TABLE.md, "Revisions").
 *
 * One list per invocation and scope (a retry after a crash adds its own, never overwrites one),
 * gzipped into one binary attribute per item: the revision keys once per item, each hostname
 * with the index of its revision and, when the writer knows it, the revision itself (the
 * observation its history item holds), so a reader rebuilds the state without reading one item
 * per hostname. Items are cut at `MAX_PLAIN_CHARS` of JSON and split again while gzipped they
 * exceed `MAX_GZIPPED_BYTES`; a revision too large to fit even alone is listed by key only (its
 * reader gets its history item).
 */

export interface Confirmation {
  hostname: string;
  /** The sort key of the confirmed revision's history item (`RUN#<observedAt>#<runId>`). */
  revisionSk: string;
  /** Runs that confirmed the revision since it was written, this one included (1 or more). */
  runsSince: number;
  /**
   * The revision (the observation its history item holds): given by the writer when it knows
   * it; read back as stored JSON, unvalidated (`parseObservation` it before use), when the item
   * carries it.
   */
  revision?: unknown;
}

export const CONFIRMATIONS_SK_PREFIX = "CONFIRMED#";
/**
 * JSON characters listed per item before gzip. Revisions of vendor-shaped hostnames gzip ~19 to
 * 1 (10,000 of them: 11.3 MB of JSON, 0.58 MB gzipped), so an item of this much is ~200 KB.
 */
const MAX_PLAIN_CHARS = 4_000_000;
/** A gzipped list larger than this is split in two (DynamoDB's item limit is 400 KB). */
const MAX_GZIPPED_BYTES = 350_000;

const Entry = z.union([
  z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().positive()]),
  z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().positive(), z.unknown()]),
]);
const ConfirmationList = z.object({ revisions: z.array(z.string()), hosts: z.array(Entry) });

/** A confirmation ready to list: its revision as JSON text, when it is listed with it. */
interface Listed {
  confirmation: Confirmation;
  revisionJson: string | null;
}

/** The items of a run's confirmations by one invocation (pure). */
export function confirmationItems(
  run: RunPosition,
  lease: Pick<RunLease, "scope" | "owner">,
  confirmations: readonly Confirmation[],
  expiresAt: number,
): Record<string, unknown>[] {
  // Each chunk is gzipped as soon as it is full, so only one chunk's JSON is held at a time
  // (at 10,000 hostnames the revisions are 11 MB of JSON, the chunks ~4 MB each).
  const lists: Buffer[] = [];
  let chunk: Listed[] = [];
  let chars = 0;
  for (const confirmation of confirmations) {
    const revisionJson =
      confirmation.revision === undefined ? null : JSON.stringify(confirmation.revision);
    const size =
      confirmation.hostname.length +
      confirmation.revisionSk.length +
      16 +
      (revisionJson ?? "").length;
    if (chunk.length > 0 && chars + size > MAX_PLAIN_CHARS) {
      lists.push(...gzippedLists(chunk));
      chunk = [];
      chars = 0;
    }
    chunk.push({ confirmation, revisionJson });
    chars += size;
  }
  if (chunk.length > 0) lists.push(...gzippedLists(chunk));
  return lists.map((confirmedGz, n) => ({
    pk: `RUN#${run.runId}`,
    sk: `${CONFIRMATIONS_SK_PREFIX}${lease.scope}#${lease.owner}#${n}`,
    kind: "dns-confirmations",
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    observedAt: run.observedAt,
    confirmedGz,
    expiresAt,
  }));
}

/**
 * The chunk gzipped, in as many lists as it takes for each to stay within `MAX_GZIPPED_BYTES`:
 * halved while too large; a single entry still too large is listed without its revision.
 */
function gzippedLists(entries: readonly Listed[]): Buffer[] {
  const gzipped = gzipSync(encode(entries));
  if (gzipped.length <= MAX_GZIPPED_BYTES) return [gzipped];
  const [only] = entries;
  if (entries.length === 1 && only !== undefined) {
    return [gzipSync(encode([{ ...only, revisionJson: null }]))];
  }
  const half = Math.ceil(entries.length / 2);
  return [...gzippedLists(entries.slice(0, half)), ...gzippedLists(entries.slice(half))];
}

/** The list as JSON text: `{ revisions: [sk…], hosts: [[hostname, index, runsSince, revision?]…] }`. */
function encode(entries: readonly Listed[]): string {
  const revisions: string[] = [];
  const index = new Map<string, number>();
  const hosts = entries.map(({ confirmation, revisionJson }) => {
    let at = index.get(confirmation.revisionSk);
    if (at === undefined) {
      at = revisions.push(confirmation.revisionSk) - 1;
      index.set(confirmation.revisionSk, at);
    }
    const head = `${JSON.stringify(confirmation.hostname)},${at},${confirmation.runsSince}`;
    return revisionJson === null ? `[${head}]` : `[${head},${revisionJson}]`;
  });
  return `{"revisions":${JSON.stringify(revisions)},"hosts":[${hosts.join(",")}]}`;
}

/** The confirmations one item lists; a clear error naming the item when it is unreadable. */
export function parseConfirmationItem(item: Record<string, unknown>): Confirmation[] {
  try {
    if (!(item.confirmedGz instanceof Uint8Array)) throw new TypeError("confirmedGz is not binary");
    const list = ConfirmationList.parse(JSON.parse(gunzipSync(item.confirmedGz).toString("utf8")));
    return list.hosts.map(([hostname, at, runsSince, revision]) => {
      const revisionSk = list.revisions[at];
      if (revisionSk === undefined)
        throw new RangeError(`revision ${at} of ${hostname} not listed`);
      return revision === undefined
        ? { hostname, revisionSk, runsSince }
        : { hostname, revisionSk, runsSince, revision };
    });
  } catch (cause) {
    throw new ObservationStoreError(
      `stored confirmations ${String(item.pk)} ${String(item.sk)} are unreadable`,
      { cause },
    );
  }
}

/** Puts the items, one at a time, the lease checked (or renewed) before each. */
export async function putConfirmations(
  table: ObservationTable,
  items: readonly Record<string, unknown>[],
  ensureLease: () => Promise<void>,
): Promise<void> {
  for (const item of items) {
    await ensureLease();
    await storeCall(`put ${String(item.pk)} ${String(item.sk)}`, () =>
      table.documents.send(new PutCommand({ TableName: table.tableName, Item: item })),
    );
  }
}

/** Every confirmation the run stored, by hostname (consistent reads, every page). */
export async function runConfirmations(
  table: ObservationTable,
  runId: string,
): Promise<Map<string, Confirmation>> {
  const items = await readAllPages((startKey) =>
    storeCall(`query the confirmations of run ${runId}`, () =>
      table.documents.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": `RUN#${runId}`, ":prefix": CONFIRMATIONS_SK_PREFIX },
          ConsistentRead: true,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    ),
  );
  const found = new Map<string, Confirmation>();
  for (const item of items) {
    for (const confirmation of parseConfirmationItem(item)) {
      found.set(confirmation.hostname, confirmation);
    }
  }
  return found;
}
