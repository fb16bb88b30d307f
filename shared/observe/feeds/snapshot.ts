import { createHash } from "node:crypto";
import type { FeedId, FeedPrefix } from "#shared/domain/feed";
import { feedCidrText } from "./cidr";
import { uniqueFeedPrefixes } from "./diff";
import { FeedRejectedError } from "./errors";
import type { IpSpaceChangedNotification } from "./schema";
import {
  AwsIpRangesDocument,
  CloudFrontIpListDocument,
  describeZodIssues,
  isAwsIpRangesDocument,
} from "./schema";

/** One verified version of a feed, normalised: what gets archived, diffed and matched. */
export interface FeedSnapshot {
  feed: FeedId;
  /** Hex sha256 of the raw bytes: the snapshot's identity and archive key. */
  sha256: string;
  /** Hex md5 of the raw bytes, as AmazonIpSpaceChanged carries it. */
  md5: string;
  /** ip-ranges.json only. */
  syncToken?: string;
  createDate?: string;
  prefixes: FeedPrefix[];
  prefixCount: { v4: number; v6: number };
}

export const CLOUDFRONT_GLOBAL = "CLOUDFRONT_GLOBAL";
export const CLOUDFRONT_REGIONAL_EDGE = "CLOUDFRONT_REGIONAL_EDGE";
export const GLOBAL_REGION = "GLOBAL";

/**
 * Parses and verifies the raw bytes of a feed: UTF-8 JSON (not an HTML error page, not
 * truncated), the feed's schema, every prefix a valid CIDR with zero host bits, no empty list.
 * Throws `FeedRejectedError` naming the feed and the reason.
 */
export function parseFeedSnapshot(
  feed: FeedId,
  bytes: Uint8Array,
  context: { contentType?: string } = {},
): FeedSnapshot {
  const document = decodeJson(feed, bytes, context.contentType);
  const normalised =
    feed === "aws-ip-ranges"
      ? normaliseAwsIpRanges(feed, document)
      : normaliseCloudFront(feed, document);
  const prefixes = uniqueFeedPrefixes(normalised.prefixes);
  let v4 = 0;
  for (const prefix of prefixes) if (prefix.family === 4) v4++;
  return {
    feed,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    md5: createHash("md5").update(bytes).digest("hex"),
    ...(normalised.syncToken !== undefined ? { syncToken: normalised.syncToken } : {}),
    ...(normalised.createDate !== undefined ? { createDate: normalised.createDate } : {}),
    prefixes,
    prefixCount: { v4, v6: prefixes.length - v4 },
  };
}

function decodeJson(feed: FeedId, bytes: Uint8Array, contentType: string | undefined): unknown {
  if (bytes.byteLength === 0) throw new FeedRejectedError(feed, "empty body (0 bytes)");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new FeedRejectedError(feed, "body is not UTF-8 text", { cause });
  }
  const start = text.trimStart();
  if (start.startsWith("<") || /html/i.test(contentType ?? "")) {
    const excerpt = start.slice(0, 40).replace(/\s+/g, " ");
    throw new FeedRejectedError(
      feed,
      `HTML page instead of JSON (content-type ${contentType ?? "unknown"}, starts with ${JSON.stringify(excerpt)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (endsInsideJsonValue(start)) {
      throw new FeedRejectedError(
        feed,
        `truncated body: the JSON ends early after ${bytes.byteLength} bytes`,
        { cause },
      );
    }
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new FeedRejectedError(feed, `not JSON: ${detail}`, { cause });
  }
}

/** True when the text is the start of a JSON object or array that is never closed. */
function endsInsideJsonValue(text: string): boolean {
  if (!text.startsWith("{") && !text.startsWith("[")) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return inString || depth > 0;
}

interface Normalised {
  syncToken?: string;
  createDate?: string;
  prefixes: FeedPrefix[];
}

function normaliseAwsIpRanges(feed: FeedId, document: unknown): Normalised {
  const { syncToken, createDate, prefixes: v4, ipv6_prefixes: v6 } = awsIpRanges(feed, document);
  if (v4.length === 0) throw new FeedRejectedError(feed, "empty list: prefixes has no entries");
  if (v6.length === 0) {
    throw new FeedRejectedError(feed, "empty list: ipv6_prefixes has no entries");
  }
  const prefixes: FeedPrefix[] = new Array(v4.length + v6.length);
  let n = 0;
  for (let i = 0; i < v4.length; i++) {
    const entry = v4[i] as (typeof v4)[number];
    prefixes[n++] = {
      prefix: checkCidr(feed, entry.ip_prefix, 4, i, v4Where),
      family: 4,
      service: entry.service,
      region: entry.region,
      networkBorderGroup: entry.network_border_group,
    };
  }
  for (let i = 0; i < v6.length; i++) {
    const entry = v6[i] as (typeof v6)[number];
    prefixes[n++] = {
      prefix: checkCidr(feed, entry.ipv6_prefix, 6, i, v6Where),
      family: 6,
      service: entry.service,
      region: entry.region,
      networkBorderGroup: entry.network_border_group,
    };
  }
  return { syncToken, createDate, prefixes };
}

/** The document when the schema accepts it (checked by hand first, zod for the issues). */
function awsIpRanges(feed: FeedId, document: unknown): AwsIpRangesDocument {
  if (isAwsIpRangesDocument(document)) return document;
  const parsed = AwsIpRangesDocument.safeParse(document);
  if (!parsed.success) {
    throw new FeedRejectedError(feed, `schema: ${describeZodIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

const KNOWN_CLOUDFRONT_LISTS: readonly (readonly [string, string])[] = [
  ["CLOUDFRONT_GLOBAL_IP_LIST", CLOUDFRONT_GLOBAL],
  ["CLOUDFRONT_REGIONAL_EDGE_IP_LIST", CLOUDFRONT_REGIONAL_EDGE],
];

/**
 * The two known lists, each required and non-empty, plus any other top-level key whose value is
 * a list of CIDRs (AWS may move prefixes to a new list: dropping it would read them as
 * withdrawn), named by its key without `_IP_LIST`. Anything else unexpected rejects the feed.
 */
function normaliseCloudFront(feed: FeedId, document: unknown): Normalised {
  const parsed = CloudFrontIpListDocument.safeParse(document);
  if (!parsed.success) {
    throw new FeedRejectedError(feed, `schema: ${describeZodIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const known = new Set(KNOWN_CLOUDFRONT_LISTS.map(([field]) => field));
  const lists: [string, string, string[]][] = KNOWN_CLOUDFRONT_LISTS.map(([field, service]) => {
    const list = parsed.data[field] as string[];
    if (list.length === 0) throw new FeedRejectedError(feed, `empty list: ${field} has no entries`);
    return [field, service, list];
  });
  for (const [field, value] of Object.entries(parsed.data)) {
    if (known.has(field)) continue;
    lists.push([field, cloudFrontListService(field), extraCidrList(feed, field, value)]);
  }
  const prefixes: FeedPrefix[] = [];
  for (const [field, service, list] of lists) {
    const where = (i: number) => `${field}[${i}]`;
    list.forEach((prefix, i) => {
      const family = prefix.includes(":") ? 6 : 4;
      prefixes.push({
        prefix: checkCidr(feed, prefix, family, i, where),
        family,
        service,
        region: GLOBAL_REGION,
        networkBorderGroup: GLOBAL_REGION,
      });
    });
  }
  return { prefixes };
}

/** `CLOUDFRONT_ORIGIN_FACING_IP_LIST` -> `CLOUDFRONT_ORIGIN_FACING`, as the known lists are named. */
function cloudFrontListService(field: string): string {
  return field.endsWith("_IP_LIST") && field.length > "_IP_LIST".length
    ? field.slice(0, -"_IP_LIST".length)
    : field;
}

/** An unknown key's value, when it is a list of strings (each then checked as a CIDR). */
function extraCidrList(feed: FeedId, field: string, value: unknown): string[] {
  const unexpected = (what: string) =>
    new FeedRejectedError(feed, `unexpected key ${JSON.stringify(field)}: ${what}`);
  if (field.trim() === "") throw unexpected("an empty name");
  if (!Array.isArray(value)) throw unexpected(`${kindOf(value)}, not a list of CIDRs`);
  value.forEach((entry, i) => {
    if (typeof entry !== "string")
      throw unexpected(`${field}[${i}] is ${kindOf(entry)}, not a CIDR`);
  });
  return value as string[];
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

const v4Where = (i: number) => `prefixes[${i}].ip_prefix`;
const v6Where = (i: number) => `ipv6_prefixes[${i}].ipv6_prefix`;

/**
 * The prefix in normal form (see `parseFeedCidr`), so one network has one key in a diff.
 * `where(index)` names its place for the reason, built only for a rejection.
 */
function checkCidr(
  feed: FeedId,
  prefix: string,
  family: 4 | 6,
  index: number,
  where: (index: number) => string,
): string {
  const text = feedCidrText(prefix, family);
  if (typeof text === "string") return text;
  throw new FeedRejectedError(
    feed,
    `invalid CIDR ${JSON.stringify(prefix)} at ${where(index)}: ${text.problem}`,
  );
}

/** The identity of a published prefix: (prefix, service, region, network_border_group), per family. */
export function feedPrefixKey(prefix: FeedPrefix): string {
  return `${prefix.family}|${prefix.prefix}|${prefix.service}|${prefix.region}|${prefix.networkBorderGroup}`;
}

/**
 * Rejects a snapshot whose prefix count collapsed against the previous accepted one: for each
 * family the previous snapshot had, the new count must be at least `minRatio` of the old.
 */
export function checkPrefixCounts(
  feed: FeedId,
  next: { v4: number; v6: number },
  previous: { v4: number; v6: number } | null,
  minRatio: number,
): void {
  if (previous === null) return;
  for (const family of ["v4", "v6"] as const) {
    const before = previous[family];
    const after = next[family];
    if (before > 0 && after < before * minRatio) {
      throw new FeedRejectedError(
        feed,
        `prefix count collapsed: ${family} ${before} -> ${after} (below ${Math.round(minRatio * 100)}% of the previous snapshot)`,
      );
    }
  }
}

/**
 * Checks the md5 an AmazonIpSpaceChanged notification announced against the raw bytes, when the
 * notification describes this version (same syncToken). A notification for another version says
 * nothing about these bytes: `not-applicable`.
 */
export function checkNotificationMd5(
  snapshot: FeedSnapshot,
  notification: IpSpaceChangedNotification | undefined,
): "verified" | "not-applicable" {
  if (notification === undefined || snapshot.feed !== "aws-ip-ranges") return "not-applicable";
  if (notification.syncToken !== snapshot.syncToken) return "not-applicable";
  if (notification.md5.toLowerCase() !== snapshot.md5) {
    throw new FeedRejectedError(
      snapshot.feed,
      `md5 mismatch for syncToken ${snapshot.syncToken}: notification says ${notification.md5.toLowerCase()}, body has ${snapshot.md5}`,
    );
  }
  return "verified";
}

/**
 * How far after `now` a version may be dated (AWS's clock ahead of ours): one hour. AWS dates a
 * version when it publishes it, so a genuine one is never hours ahead; a tolerance of a day let a
 * version dated 23 hours ahead freeze the feed for that long.
 */
export const DEFAULT_FUTURE_TOLERANCE_SECONDS = 3_600;

/**
 * Rejects an ip-ranges.json dated more than `toleranceSeconds` after `now`, by its syncToken or
 * its createDate: accepted, such a version would make every genuine one look older ("not newer
 * than the stored …") and freeze the feed.
 */
export function checkNotFromTheFuture(
  snapshot: Pick<FeedSnapshot, "feed" | "syncToken" | "createDate">,
  now: Date,
  toleranceSeconds: number,
): void {
  const after = `is more than ${toleranceSeconds} s after now (${now.toISOString()})`;
  if (
    snapshot.syncToken !== undefined &&
    isFutureSyncToken(snapshot.syncToken, now, toleranceSeconds)
  ) {
    const at = syncTokenTime(snapshot.syncToken);
    throw new FeedRejectedError(
      snapshot.feed,
      `syncToken ${snapshot.syncToken}${at === null ? "" : ` (${at.toISOString()})`} ${after}`,
    );
  }
  if (snapshot.createDate !== undefined) {
    const at = createDateTime(snapshot.createDate);
    if (at !== null && at.getTime() > now.getTime() + toleranceSeconds * 1000) {
      throw new FeedRejectedError(
        snapshot.feed,
        `createDate ${snapshot.createDate} (${at.toISOString()}) ${after}`,
      );
    }
  }
}

/** True when an epoch-seconds syncToken lies more than `toleranceSeconds` after `now`. */
export function isFutureSyncToken(token: string, now: Date, toleranceSeconds: number): boolean {
  const limit = BigInt(Math.floor(now.getTime() / 1000)) + BigInt(Math.floor(toleranceSeconds));
  return BigInt(token) > limit;
}

/** The syncToken as a date; null when it is too large to be one. */
function syncTokenTime(token: string): Date | null {
  const at = new Date(Number(token) * 1000);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** `yyyy-mm-dd-hh-mm-ss` (UTC) as a date; null when it is not one. */
function createDateTime(createDate: string): Date | null {
  const [y, mo, d, h, mi, s] = createDate.split("-").map(Number) as number[];
  const at = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
  return Number.isNaN(at.getTime()) ? null : at;
}

/** Compares two epoch-seconds syncTokens: negative, zero or positive. */
export function compareSyncTokens(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
