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
 * cut in items of at most `MAX_PLAIN_CHARS` of JSON, gzipped into one binary attribute: the
 * revision keys once per item, each hostname with the index of its revision.
 */

export interface Confirmation {
  hostname: string;
  /** The sort key of the confirmed revision's history item (`RUN#<observedAt>#<runId>`). */
  revisionSk: string;
  /** Runs that confirmed the revision since it was written, this one included (1 or more). */
  runsSince: number;
}

export const CONFIRMATIONS_SK_PREFIX = "CONFIRMED#";
/** JSON characters listed per item before gzip: gzipped, far below the 400 KB item limit. */
const MAX_PLAIN_CHARS = 300_000;

const ConfirmationList = z.object({
  revisions: z.array(z.string()),
  hosts: z.array(
    z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().positive()]),
  ),
});

/** The items of a run's confirmations by one invocation (pure). */
export function confirmationItems(
  run: RunPosition,
  lease: Pick<RunLease, "scope" | "owner">,
  confirmations: readonly Confirmation[],
  expiresAt: number,
): Record<string, unknown>[] {
  const chunks: Confirmation[][] = [];
  let chunk: Confirmation[] = [];
  let chars = 0;
  for (const confirmation of confirmations) {
    const size = confirmation.hostname.length + confirmation.revisionSk.length + 16;
    if (chunk.length > 0 && chars + size > MAX_PLAIN_CHARS) {
      chunks.push(chunk);
      chunk = [];
      chars = 0;
    }
    chunk.push(confirmation);
    chars += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks.map((entries, n) => ({
    pk: `RUN#${run.runId}`,
    sk: `${CONFIRMATIONS_SK_PREFIX}${lease.scope}#${lease.owner}#${n}`,
    kind: "dns-confirmations",
    schemaVersion: SCHEMA_VERSION,
    runId: run.runId,
    observedAt: run.observedAt,
    confirmedGz: gzipSync(JSON.stringify(encode(entries))),
    expiresAt,
  }));
}

function encode(entries: readonly Confirmation[]): z.infer<typeof ConfirmationList> {
  const revisions: string[] = [];
  const index = new Map<string, number>();
  const hosts = entries.map((entry): [string, number, number] => {
    let at = index.get(entry.revisionSk);
    if (at === undefined) {
      at = revisions.push(entry.revisionSk) - 1;
      index.set(entry.revisionSk, at);
    }
    return [entry.hostname, at, entry.runsSince];
  });
  return { revisions, hosts };
}

/** The confirmations one item lists; a clear error naming the item when it is unreadable. */
export function parseConfirmationItem(item: Record<string, unknown>): Confirmation[] {
  try {
    if (!(item.confirmedGz instanceof Uint8Array)) throw new TypeError("confirmedGz is not binary");
    const list = ConfirmationList.parse(JSON.parse(gunzipSync(item.confirmedGz).toString("utf8")));
    return list.hosts.map(([hostname, at, runsSince]) => {
      const revisionSk = list.revisions[at];
      if (revisionSk === undefined)
        throw new RangeError(`revision ${at} of ${hostname} not listed`);
      return { hostname, revisionSk, runsSince };
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
