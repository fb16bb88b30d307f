import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import type { FeedSnapshot } from "#shared/observe/feeds/snapshot";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

/**
 * The real feed versions shipped in fixtures/feeds (gzipped, byte for byte as AWS published
 * them). Consecutive: 18-17 and 18-57 carry the flapping 1.178.86.0/24, 21-17 lacks it (and adds
 * 23.254.40.0/23 in ca-central-1), 22-37 has it again.
 */
export const AWS_VERSIONS = {
  "2026-08-21-18-17-05": { syncToken: "1787336225", md5: "cec198795ecb2b4ee103501bd32a5d3a" },
  "2026-08-21-18-57-05": { syncToken: "1787338625", md5: "3ea33bc9cbcf00e5c573b57a713ebe14" },
  "2026-08-21-21-17-05": { syncToken: "1787347025", md5: "93379c652a994e45f983f9715b02db58" },
  "2026-08-21-22-37-05": { syncToken: "1787351825", md5: "ab0d36d44aae602478d8637a0d284e57" },
} as const;
export type AwsVersion = keyof typeof AWS_VERSIONS;

const FIXTURES = new URL("../../fixtures/feeds/", import.meta.url);

export function awsIpRangesUrl(version: AwsVersion): string {
  return new URL(`aws-ip-ranges/ip-ranges-${version}.json.gz`, FIXTURES).href;
}

export const CLOUDFRONT_URL = new URL("cloudfront/list-cloudfront-ips.json.gz", FIXTURES).href;

export async function readAwsIpRanges(version: AwsVersion): Promise<Uint8Array> {
  return gunzipSync(await readFile(fileURLToPath(awsIpRangesUrl(version))));
}

export async function readCloudFront(): Promise<Uint8Array> {
  return gunzipSync(await readFile(fileURLToPath(CLOUDFRONT_URL)));
}

export async function awsSnapshot(version: AwsVersion): Promise<FeedSnapshot> {
  return parseFeedSnapshot("aws-ip-ranges", await readAwsIpRanges(version));
}

/** A file:// URL for a file written by a test. */
export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}
