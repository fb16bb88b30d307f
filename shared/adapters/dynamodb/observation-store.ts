import { gunzipSync, gzipSync } from "node:zlib";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { HostObservation } from "#shared/domain/observation";
import { DEFAULT_HISTORY_RETENTION_DAYS } from "#shared/observe/dns/config";
import { createLimiter } from "#shared/observe/dns/limiter";
import { HostObservationSchema } from "#shared/observe/dns/observation-schema";
import type {
  DnsRun,
  IpSighting,
  ObservationQueries,
  ObservationStore,
  RunJudgements,
  RunPosition,
} from "#shared/observe/dns/observation-store";
import { TABLE_KEYS } from "./table";

/**
 * DNS observations in the driftwatch table (layout: TABLE.md, "DNS observations"):
 * - run record `RUN#<runId>` / `RUN`, put once (conditional), so a repeated run is detected;
 * - one immutable history item per hostname per run, `HOST#<hostname>` /
 *   `RUN#<observedAt>#<runId>`, carrying the run's answers AND the state carried forward, so the
 *   current state is the newest item and a steady-state run writes once per hostname;
 * - IP index `IP#<ip>` / `HOST#<hostname>`, written only when an IP first enters.
 * A run record is begun in the sparse index `gsi1` (`UNJUDGED_RUN`) and leaves it when the
 * compare step has committed the run's drift (`markRunJudged`).
 */
export interface DynamoObservationStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Days a history item and run record are kept (DynamoDB TTL); default 400. */
  historyRetentionDays?: number;
  /** Queries in flight at once when reading many hostnames; default 8. */
  queryConcurrency?: number;
}

export class ObservationStoreError extends Error {
  override name = "ObservationStoreError";
}

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
 * An observation whose item is larger than this (as JSON) keeps its lists (`LIST_ATTRIBUTES`)
 * gzipped in one binary attribute, `listsGz`; below it, the item is plain attributes as ever.
 * Inline, an active IP costs ~146 bytes, so a rotating name reached DynamoDB's 400 KB at ~2,400
 * active IPs and could no longer be saved at all. Gzipped, measured against dynalite with the
 * rotating hostname of test/integration/observation-store-size.test.ts (random IPv4 in five /8s,
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
const SCHEMA_VERSION = 1;
const RUN_SK = "RUN";
/** Sorts after every run id character. */
const HIGH = "\uffff";
/** `gsi1pk` of the run records whose drift has not been judged yet. */
export const UNJUDGED_RUN = "UNJUDGED_RUN";

const hostPk = (hostname: string) => `HOST#${hostname}`;
const runSk = (position: RunPosition) => `RUN#${position.observedAt}#${position.runId}`;
const ipPk = (ip: string) => `IP#${ip}`;

const RunItem = z.object({
  runId: z.string(),
  observedAt: z.string(),
  hostnames: z.array(z.string()),
});

const IpSightingItem = z.object({
  ip: z.string(),
  hostname: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  firstSeen: z.string(),
  runId: z.string(),
});

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/** An ISO instant, or the start/end of a `YYYY-MM-DD` day, as a sortable ISO string. */
function instant(value: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${value}T${end ? "23:59:59.999" : "00:00:00.000"}Z`;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`${JSON.stringify(value)} is not an ISO date`);
  return new Date(time).toISOString();
}

export function createDynamoObservationStore(
  options: DynamoObservationStoreOptions,
): ObservationStore & ObservationQueries & RunJudgements {
  const { documents, tableName } = options;
  const retentionSeconds =
    (options.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS) * 86_400;
  const limit = createLimiter(options.queryConcurrency ?? 8);

  const expiresAt = (observedAt: string) =>
    Math.floor(Date.parse(observedAt) / 1000) + retentionSeconds;

  const parseObservation = (item: Record<string, unknown>): HostObservation => {
    let lists: unknown = {};
    if (item.listsGz !== undefined) {
      try {
        if (!(item.listsGz instanceof Uint8Array)) throw new TypeError("listsGz is not binary");
        lists = JSON.parse(gunzipSync(item.listsGz).toString("utf8"));
      } catch (error) {
        throw new ObservationStoreError(
          `stored observation ${String(item.pk)} ${String(item.sk)} has unreadable listsGz`,
          { cause: error },
        );
      }
    }
    const parsed = HostObservationSchema.safeParse({ ...item, ...(lists as object) });
    if (!parsed.success) {
      throw new ObservationStoreError(
        `stored observation ${String(item.pk)} ${String(item.sk)} is malformed`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  };

  const send = async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ObservationStoreError || isConditionFailure(error)) throw error;
      throw new ObservationStoreError(`${what} failed`, { cause: error });
    }
  };

  const queryAll = async (input: QueryCommandInput): Promise<Record<string, unknown>[]> => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send(`query ${String(input.ExpressionAttributeValues?.[":pk"])}`, () =>
        documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  };

  /** The newest observation of a hostname with a sort key at or below (or below) `highSk`. */
  const newestAtOrBelow = async (
    hostname: string,
    highSk: string,
    inclusive: boolean,
  ): Promise<HostObservation | null> => {
    const page = await send(`query ${hostPk(hostname)}`, () =>
      documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
          ExpressionAttributeValues: {
            ":pk": hostPk(hostname),
            ":low": "RUN#",
            ":high": highSk,
          },
          ScanIndexForward: false,
          Limit: inclusive ? 1 : 2,
          ConsistentRead: true,
        }),
      ),
    );
    const items = (page.Items ?? []).filter((item) => inclusive || item.sk !== highSk);
    const [newest] = items;
    return newest === undefined ? null : parseObservation(newest);
  };

  const forEachHostname = async (
    hostnames: string[],
    read: (hostname: string) => Promise<HostObservation | null>,
  ): Promise<Map<string, HostObservation>> => {
    const found = new Map<string, HostObservation>();
    await Promise.all(
      [...new Set(hostnames)].map((hostname) =>
        limit(async () => {
          const observation = await read(hostname);
          if (observation !== null) found.set(hostname, observation);
        }),
      ),
    );
    return found;
  };

  const getObservation = async (hostname: string, position: RunPosition) => {
    const { Item } = await send(`get ${hostPk(hostname)}`, () =>
      documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: hostPk(hostname), sk: runSk(position) },
          ConsistentRead: true,
        }),
      ),
    );
    return Item === undefined ? null : parseObservation(Item);
  };

  /** The history item of an observation: plain attributes, or its lists gzipped when large. */
  const observationItem = (observation: HostObservation): Record<string, unknown> => {
    const item: Record<string, unknown> = {
      ...observation,
      pk: hostPk(observation.hostname),
      sk: runSk(observation),
      kind: "dns-observation",
      schemaVersion: SCHEMA_VERSION,
      expiresAt: expiresAt(observation.observedAt),
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
  };

  return {
    async beginRun(run: DnsRun) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `RUN#${run.runId}`,
              sk: RUN_SK,
              kind: "dns-run",
              schemaVersion: SCHEMA_VERSION,
              runId: run.runId,
              observedAt: run.observedAt,
              hostnames: run.hostnames,
              expiresAt: expiresAt(run.observedAt),
              // In the unjudged index until markRunJudged: oldest first by observation time.
              gsi1pk: UNJUDGED_RUN,
              gsi1sk: `${run.observedAt}#${run.runId}`,
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return { created: true, run };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw new ObservationStoreError(`recording run ${run.runId} failed`, { cause: error });
        }
      }
      const { Item } = await send(`get run ${run.runId}`, () =>
        documents.send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: `RUN#${run.runId}`, sk: RUN_SK },
            ConsistentRead: true,
          }),
        ),
      );
      const stored = RunItem.safeParse(Item);
      if (!stored.success) {
        throw new ObservationStoreError(`stored run ${run.runId} is malformed`, {
          cause: stored.error,
        });
      }
      return { created: false, run: stored.data };
    },

    async savedObservations(run: RunPosition, hostnames: string[]) {
      const found = new Map<string, HostObservation>();
      const unique = [...new Set(hostnames)];
      for (let start = 0; start < unique.length; start += 100) {
        let keys: Record<string, unknown>[] = unique
          .slice(start, start + 100)
          .map((hostname) => ({ pk: hostPk(hostname), sk: runSk(run) }));
        for (let attempt = 0; keys.length > 0; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          if (attempt > 8)
            throw new ObservationStoreError("batch get kept leaving keys unprocessed");
          const requested = keys;
          const response = await send("batch get of saved observations", () =>
            documents.send(
              new BatchGetCommand({
                RequestItems: { [tableName]: { Keys: requested, ConsistentRead: true } },
              }),
            ),
          );
          for (const item of response.Responses?.[tableName] ?? []) {
            const observation = parseObservation(item);
            found.set(observation.hostname, observation);
          }
          keys = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return found;
    },

    previousObservations(hostnames: string[], before: RunPosition) {
      return forEachHostname(hostnames, (hostname) =>
        newestAtOrBelow(hostname, runSk(before), false),
      );
    },

    async saveObservation(observation: HostObservation) {
      // Built first: one too large even gzipped fails here, before anything is written.
      const item = observationItem(observation);
      // The index first: if this invocation dies after it, the retry still finds the host item
      // missing and writes both; the other order could lose the index entry for good.
      const byIp = new Map(observation.active.map((ip) => [ip.ip, ip]));
      for (const address of observation.entered) {
        const ip = byIp.get(address);
        if (ip === undefined) continue;
        try {
          await documents.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                pk: ipPk(ip.ip),
                sk: hostPk(observation.hostname),
                kind: "dns-ip-sighting",
                ip: ip.ip,
                hostname: observation.hostname,
                family: ip.family,
                firstSeen: ip.firstSeen,
                runId: observation.runId,
              },
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
        } catch (error) {
          if (!isConditionFailure(error)) {
            throw new ObservationStoreError(`indexing ${ip.ip} for ${observation.hostname}`, {
              cause: error,
            });
          }
        }
      }
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return { saved: true, observation };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw new ObservationStoreError(
            `saving ${observation.hostname} for run ${observation.runId} failed`,
            { cause: error },
          );
        }
      }
      const stored = await getObservation(observation.hostname, observation);
      if (stored === null) {
        throw new ObservationStoreError(
          `${observation.hostname} for run ${observation.runId} exists but cannot be read`,
        );
      }
      return { saved: false, observation: stored };
    },

    latestObservations(hostnames: string[]) {
      return forEachHostname(hostnames, (hostname) =>
        newestAtOrBelow(hostname, `RUN#${HIGH}`, true),
      );
    },

    observationAt(hostname: string, at: string) {
      return newestAtOrBelow(hostname, `RUN#${instant(at, true)}#${HIGH}`, true);
    },

    async history(hostname: string, range: { from?: string; to?: string; limit?: number } = {}) {
      const { limit: newest } = range;
      if (newest !== undefined && (!Number.isInteger(newest) || newest < 1)) {
        throw new RangeError(`limit must be a positive integer, got ${newest}`);
      }
      const low = range.from === undefined ? "RUN#" : `RUN#${instant(range.from, false)}`;
      const high =
        range.to === undefined ? `RUN#${HIGH}` : `RUN#${instant(range.to, true)}#${HIGH}`;
      const query: QueryCommandInput = {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": hostPk(hostname), ":low": low, ":high": high },
        ScanIndexForward: true,
      };
      if (newest === undefined) return (await queryAll(query)).map(parseObservation);
      // Newest first, page by page until `limit` items (a page stops at 1 MB, maybe short).
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await send(`query ${hostPk(hostname)}`, () =>
          documents.send(
            new QueryCommand({
              ...query,
              ScanIndexForward: false,
              Limit: newest - items.length,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && items.length < newest);
      return items.slice(0, newest).reverse().map(parseObservation);
    },

    async unjudgedRuns() {
      const items = await queryAll({
        TableName: tableName,
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": UNJUDGED_RUN },
        ScanIndexForward: true,
      });
      return items.map((item): DnsRun => {
        const parsed = RunItem.safeParse(item);
        if (!parsed.success) {
          throw new ObservationStoreError(`stored run ${String(item.pk)} is malformed`, {
            cause: parsed.error,
          });
        }
        return parsed.data;
      });
    },

    async markRunJudged(runId: string) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `RUN#${runId}`, sk: RUN_SK },
            UpdateExpression: "REMOVE gsi1pk, gsi1sk",
            // Never creates a run record: a run that is gone (TTL) stays gone.
            ConditionExpression: "attribute_exists(pk)",
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) return;
        throw new ObservationStoreError(`marking run ${runId} judged failed`, { cause: error });
      }
    },

    async hostsForIp(ip: string) {
      const canonical = ipaddr.isValid(ip) ? ipaddr.parse(ip).toString() : ip;
      const items = await queryAll({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :host)",
        ExpressionAttributeValues: { ":pk": ipPk(canonical), ":host": "HOST#" },
      });
      return items.map((item): IpSighting => {
        const parsed = IpSightingItem.safeParse(item);
        if (!parsed.success) {
          throw new ObservationStoreError(`stored IP sighting ${String(item.pk)} is malformed`, {
            cause: parsed.error,
          });
        }
        return parsed.data;
      });
    },
  };
}
