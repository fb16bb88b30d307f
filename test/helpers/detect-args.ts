import { type AwsVersion, awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

/**
 * The arguments of `driftwatch detect --json` asking one resolver, keeping its state in `stateDir`
 * and reading the fixture feeds (ip-ranges.json at version `ipRanges`).
 */
export function detectJsonArgs(
  dnsServer: string,
  stateDir: string,
  ipRanges: AwsVersion,
): string[] {
  return [
    "detect",
    "--json",
    "--dns-server",
    dnsServer,
    "--state-dir",
    stateDir,
    "--aws-ip-ranges-url",
    awsIpRangesUrl(ipRanges),
    "--cloudfront-url",
    CLOUDFRONT_URL,
  ];
}
