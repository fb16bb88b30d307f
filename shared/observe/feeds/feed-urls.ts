/**
 * Where the feeds are fetched from unless configured. Their own module (no zod): the CLI's option
 * defaults show them in `driftwatch --help`.
 */
export const DEFAULT_AWS_IP_RANGES_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json";
export const DEFAULT_CLOUDFRONT_URL =
  "http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips";
