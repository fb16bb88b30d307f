import { z } from "zod";

/**
 * The external shapes driftwatch reads for the IP-range feeds: AWS `ip-ranges.json`, the
 * CloudFront list and the AmazonIpSpaceChanged notification. Unknown fields are tolerated (AWS
 * adds fields over time); missing or mistyped ones reject the feed.
 */

const label = z.string().min(1);

export const AwsIpv4PrefixEntry = z.object({
  ip_prefix: z.string(),
  region: label,
  service: label,
  network_border_group: label,
});

export const AwsIpv6PrefixEntry = z.object({
  ipv6_prefix: z.string(),
  region: label,
  service: label,
  network_border_group: label,
});

export const AwsIpRangesDocument = z.object({
  /** Epoch seconds, as a string. */
  syncToken: z.string().regex(/^\d+$/, "must be epoch seconds"),
  /** `yyyy-mm-dd-hh-mm-ss`, UTC. */
  createDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/, "must be yyyy-mm-dd-hh-mm-ss"),
  prefixes: z.array(AwsIpv4PrefixEntry),
  ipv6_prefixes: z.array(AwsIpv6PrefixEntry),
});
export type AwsIpRangesDocument = z.infer<typeof AwsIpRangesDocument>;

const EPOCH_SECONDS = /^\d+$/;
const CREATE_DATE = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;

/**
 * True when `AwsIpRangesDocument` accepts the document, checked by hand: zod builds a copy of each
 * of the ~17k entries, this reads them in place. It accepts exactly what the schema accepts (a
 * test holds the two together); on false, parse with the schema for its issues.
 */
export function isAwsIpRangesDocument(document: unknown): document is AwsIpRangesDocument {
  if (!isRecord(document)) return false;
  const { syncToken, createDate, prefixes, ipv6_prefixes } = document;
  return (
    typeof syncToken === "string" &&
    EPOCH_SECONDS.test(syncToken) &&
    typeof createDate === "string" &&
    CREATE_DATE.test(createDate) &&
    entriesValid(prefixes, "ip_prefix") &&
    entriesValid(ipv6_prefixes, "ipv6_prefix")
  );
}

function entriesValid(entries: unknown, prefixField: "ip_prefix" | "ipv6_prefix"): boolean {
  if (!Array.isArray(entries)) return false;
  for (const entry of entries) {
    if (
      !isRecord(entry) ||
      typeof entry[prefixField] !== "string" ||
      !isLabel(entry.region) ||
      !isLabel(entry.service) ||
      !isLabel(entry.network_border_group)
    ) {
      return false;
    }
  }
  return true;
}

/** What `z.object` takes: an object that is not an array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLabel(value: unknown): boolean {
  return typeof value === "string" && value.length > 0;
}

/**
 * `http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips`: IPv4 CIDRs, no version. Other
 * top-level keys are kept (not stripped): the snapshot reads a list of CIDRs under a new key as
 * one more list and rejects anything else, so no prefix is silently dropped.
 */
export const CloudFrontIpListDocument = z.looseObject({
  CLOUDFRONT_GLOBAL_IP_LIST: z.array(z.string()),
  CLOUDFRONT_REGIONAL_EDGE_IP_LIST: z.array(z.string()),
});
export type CloudFrontIpListDocument = z.infer<typeof CloudFrontIpListDocument>;

/** The JSON string in `Records[].Sns.Message` of an AmazonIpSpaceChanged notification. */
export const AmazonIpSpaceChangedMessage = z.object({
  "create-time": z.string().min(1),
  synctoken: z.string().regex(/^\d+$/, "must be epoch seconds"),
  md5: z.string().regex(/^[0-9a-fA-F]{32}$/, "must be 32 hex digits"),
  url: z.url(),
});
export type AmazonIpSpaceChangedMessage = z.infer<typeof AmazonIpSpaceChangedMessage>;

/** What a notification tells the ingest: which version exists and its md5 over the raw bytes. */
export interface IpSpaceChangedNotification {
  md5: string;
  syncToken: string;
  createTime: string;
  url: string;
}

export function notificationFromMessage(
  message: AmazonIpSpaceChangedMessage,
): IpSpaceChangedNotification {
  return {
    md5: message.md5.toLowerCase(),
    syncToken: message.synctoken,
    createTime: message["create-time"],
    url: message.url,
  };
}

/** `prefixes[12].region: Invalid input` for the first few issues, for a rejection reason. */
export function describeZodIssues(error: z.ZodError, limit = 3): string {
  const shown = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`,
      )
      .join("");
    return `${path === "" ? "(root)" : path}: ${issue.message}`;
  });
  const more = error.issues.length > limit ? ` (+${error.issues.length - limit} more)` : "";
  return `${shown.join("; ")}${more}`;
}
