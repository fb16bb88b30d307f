import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { AwsIpRangesDocument } from "#shared/observe/feeds/schema";
import {
  type AwsIpRangesVersion,
  type CloudFrontVersion,
  DEMO_FIXTURES,
  DERIVED_PREFIX,
} from "./scenario";

/** The feed versions the tour's steps read, as `file://` URLs, and the two files it writes. */
export interface DemoFeeds {
  awsUrl: Record<AwsIpRangesVersion, string>;
  cloudfrontUrl: Record<CloudFrontVersion, string>;
  /** The derived ip-ranges.json (the last real one and one new prefix). */
  derivedFeed: string;
  /** The HTML error page served as the corrupt CloudFront download. */
  errorPage: string;
}

/** Writes the derived ip-ranges.json and the error page into `feedsDir`; every version's URL. */
export async function writeDemoFeeds(feedsDir: string): Promise<DemoFeeds> {
  await mkdir(feedsDir, { recursive: true });
  const derivedFeed = join(feedsDir, "ip-ranges-derived.json");
  await writeFile(derivedFeed, await deriveIpRanges(DEMO_FIXTURES.awsIpRanges.last));
  const errorPage = join(feedsDir, "list-cloudfront-ips.html");
  await writeFile(errorPage, ERROR_PAGE);
  return {
    awsUrl: {
      first: pathToFileURL(DEMO_FIXTURES.awsIpRanges.first).href,
      last: pathToFileURL(DEMO_FIXTURES.awsIpRanges.last).href,
      derived: pathToFileURL(derivedFeed).href,
    },
    cloudfrontUrl: {
      good: pathToFileURL(DEMO_FIXTURES.cloudfront).href,
      "error-page": pathToFileURL(errorPage).href,
    },
    derivedFeed,
    errorPage,
  };
}

/** The last real ip-ranges.json with one new prefix the catalogue relies on, as AWS would add it. */
async function deriveIpRanges(gzipped: string): Promise<string> {
  const document = AwsIpRangesDocument.parse(
    JSON.parse(gunzipSync(await readFile(gzipped)).toString("utf8")),
  );
  const added = DERIVED_PREFIX.services.map((service) => ({
    ip_prefix: DERIVED_PREFIX.prefix,
    region: DERIVED_PREFIX.region,
    service,
    network_border_group: DERIVED_PREFIX.region,
  }));
  return JSON.stringify({
    ...document,
    syncToken: DERIVED_PREFIX.syncToken,
    createDate: DERIVED_PREFIX.createDate,
    prefixes: [...document.prefixes, ...added],
  });
}

/** What a captive portal or a CDN error returns instead of the feed. */
const ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><h1>503 Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>
`;
