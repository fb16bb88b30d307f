import { InvalidArgumentError, Option } from "commander";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";
import { DEFAULT_DNS_TIMEOUT_MS, parseDnsServer } from "#shared/observe/dns/c-ares-resolver";
import { DEFAULT_RESOLVE_OPTIONS } from "#shared/observe/dns/resolve-options";
import { DEFAULT_AWS_IP_RANGES_URL, DEFAULT_CLOUDFRONT_URL } from "#shared/observe/feeds/feed-urls";

/** Where a command writes; the CLI passes the process streams, tests pass collectors. */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The stream progress is drawn on (a terminal), if any. */
  progressStream?: NodeJS.WriteStream;
}

export const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * An error as a command reports it on stderr: its message and, if any, its cause's (unless the
 * message already quotes it).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? ` (cause: ${error.cause.message})`
      : "";
  return `${error.message}${cause}${awsHint(error)}`;
}

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ECONNRESET",
]);

/**
 * What an AWS-mode failure means for the person at the terminal: the store is AWS because
 * AWS_REGION and DRIFTWATCH_TABLE_NAME are set, and it cannot be reached or signed for.
 */
function awsHint(error: Error): string {
  for (let link: unknown = error, depth = 0; link instanceof Error && depth < 8; depth++) {
    const { code, hostname } = link as NodeJS.ErrnoException & { hostname?: string };
    if (code !== undefined && NETWORK_CODES.has(code) && hostname?.endsWith(".amazonaws.com")) {
      return (
        `; cannot reach AWS at ${hostname} (AWS mode, because AWS_REGION and ` +
        "DRIFTWATCH_TABLE_NAME are set: check the network, or unset them to use the local store)"
      );
    }
    if (link.name === "CredentialsProviderError") {
      return (
        "; no AWS credentials found (AWS mode, because AWS_REGION and DRIFTWATCH_TABLE_NAME " +
        "are set: configure credentials, or unset them to use the local store)"
      );
    }
    link = link.cause;
  }
  return "";
}

/** Parser of a whole number of at least 1 written in digits (`--samples 3`). */
export function positiveWholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${flag} must be a positive whole number`);
    }
    return Number(value);
  };
}

/** Collects a repeatable option's values as given. */
export function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Collects repeated `--dns-server` values, each checked and normalised to `host:port`. */
export function collectDnsServers(value: string, previous: string[]): string[] {
  try {
    return [...previous, parseDnsServer(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `--dns-server`, repeatable, checked while parsing; none means the system's resolvers. */
export function dnsServerOption(): Option {
  return new Option(
    "--dns-server <host[:port]>",
    "a resolver to ask (repeatable: several vantage points)",
  )
    .argParser(collectDnsServers)
    .default([] as string[], "the system's resolvers");
}

/** `--state-dir`: the embedded store's directory (unused when the AWS variables are set). */
export function stateDirOption(description = "where state persists between runs"): Option {
  return new Option("--state-dir <dir>", description)
    .argParser(nonEmpty("--state-dir"))
    .default(DEFAULT_STATE_DIR);
}

/** A flag whose value must not be empty (`--state-dir "$UNSET"` would write into the cwd). */
export function nonEmpty(flag: string) {
  return (value: string): string => {
    if (value.trim() === "") throw new InvalidArgumentError(`${flag} must not be empty`);
    return value;
  };
}

/** `--samples`: queries per name and resolver; each command words its help its own way. */
export function samplesOption(description: string): Option {
  return new Option("--samples <n>", description)
    .argParser(positiveWholeNumber("--samples"))
    .default(DEFAULT_RESOLVE_OPTIONS.samples);
}

/** `--timeout-ms`: the per-query DNS timeout. */
export function timeoutMsOption(): Option {
  return new Option("--timeout-ms <ms>", "per-query timeout")
    .argParser(positiveWholeNumber("--timeout-ms"))
    .default(DEFAULT_DNS_TIMEOUT_MS);
}

/** `--deadline`: seconds after which no more DNS queries are asked. */
export function deadlineOption(description: string, seconds: number): Option {
  return new Option("--deadline <seconds>", description)
    .argParser(positiveWholeNumber("--deadline"))
    .default(seconds);
}

export function catalogueOption(): Option {
  return new Option("--catalogue <file>", "catalogue JSON").default(DEFAULT_CATALOGUE_PATH);
}

/** Parser of a feed URL flag: an absolute http, https or file:// URL, checked before the run. */
export function feedUrl(flag: string) {
  return (value: string): string => {
    const scheme = URL.canParse(value) ? new URL(value).protocol : null;
    if (scheme !== "http:" && scheme !== "https:" && scheme !== "file:") {
      throw new InvalidArgumentError(
        `${flag} must be an http://, https:// or file:// URL (file:// needs an absolute path)`,
      );
    }
    return value;
  };
}

export function awsIpRangesUrlOption(): Option {
  return new Option("--aws-ip-ranges-url <url>", "AWS ip-ranges.json (http, https or file://)")
    .argParser(feedUrl("--aws-ip-ranges-url"))
    .default(DEFAULT_AWS_IP_RANGES_URL);
}

export function cloudfrontUrlOption(): Option {
  return new Option("--cloudfront-url <url>", "CloudFront IP list (http, https or file://)")
    .argParser(feedUrl("--cloudfront-url"))
    .default(DEFAULT_CLOUDFRONT_URL);
}
